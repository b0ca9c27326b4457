package capture

import (
	"bufio"
	"encoding/binary"
	"io"
	"time"
)

// The classic pcap format (not pcapng), which every reader takes: a 24-byte
// file header, then a 16-byte record header before each frame.
const (
	pcapMagic      = 0xa1b2c3d4 // microsecond timestamps, in the writer's byte order
	linkEthernet   = 1          // LINKTYPE_ETHERNET
	fileHeaderLen  = 24
	recordHeadLen  = 16
	defaultSnaplen = 262144 // what tcpdump uses: whole frames, even with offloads
)

// Writer writes frames as a pcap stream.
type Writer struct {
	w       *bufio.Writer
	snaplen int
	rec     [recordHeadLen]byte
}

// NewWriter writes the pcap file header to w and returns a Writer for the
// frames. Frames longer than snaplen are cut to it; 0 means 262144.
func NewWriter(w io.Writer, snaplen int) (*Writer, error) {
	if snaplen <= 0 {
		snaplen = defaultSnaplen
	}
	pw := &Writer{w: bufio.NewWriterSize(w, 64<<10), snaplen: snaplen}
	var h [fileHeaderLen]byte
	le := binary.LittleEndian
	le.PutUint32(h[0:], pcapMagic)
	le.PutUint16(h[4:], 2) // version 2.4
	le.PutUint16(h[6:], 4)
	// h[8:16]: time zone offset and accuracy, both 0 by convention.
	le.PutUint32(h[16:], uint32(snaplen))
	le.PutUint32(h[20:], linkEthernet)
	if _, err := pw.w.Write(h[:]); err != nil {
		return nil, err
	}
	return pw, pw.w.Flush()
}

// WritePacket appends one frame captured at ts; origLen is its length on
// the wire, which may exceed len(frame) when the frame was cut.
func (pw *Writer) WritePacket(ts time.Time, frame []byte, origLen int) error {
	if len(frame) > pw.snaplen {
		frame = frame[:pw.snaplen]
	}
	le := binary.LittleEndian
	le.PutUint32(pw.rec[0:], uint32(ts.Unix()))
	le.PutUint32(pw.rec[4:], uint32(ts.Nanosecond()/1000))
	le.PutUint32(pw.rec[8:], uint32(len(frame)))
	le.PutUint32(pw.rec[12:], uint32(max(origLen, len(frame))))
	if _, err := pw.w.Write(pw.rec[:]); err != nil {
		return err
	}
	_, err := pw.w.Write(frame)
	return err
}

// Flush writes buffered frames through to the underlying writer.
func (pw *Writer) Flush() error { return pw.w.Flush() }
