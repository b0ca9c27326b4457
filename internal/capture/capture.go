package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
	"unsafe"

	"github.com/ovslab/ovslab/internal/nsutil"
	"golang.org/x/sys/unix"
)

// ErrNoInterface is returned when the interface to capture is not in the
// namespace.
var ErrNoInterface = errors.New("no such interface")

// pollInterval bounds how long a capture takes to notice its context is
// done, and how long a frame waits in the buffer before it is flushed.
const pollInterval = 100 * time.Millisecond

// Spec says what to capture.
type Spec struct {
	Netns string // path of the network namespace; "" is the caller's own
	Iface string // interface name inside it
	Count int    // stop after this many frames; 0 means until ctx is done
}

// Run writes the frames Spec's interface sends and receives to w as a pcap
// stream, until ctx is done or Count frames were written, and returns how
// many it wrote. Frames reach w within pollInterval of their capture, so a
// reader at the other end of a pipe sees them live, and the stream is a
// complete pcap whenever Run returns.
func Run(ctx context.Context, s Spec, w io.Writer) (int, error) {
	fd, err := open(s.Netns, s.Iface)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	pw, err := NewWriter(w, defaultSnaplen)
	if err != nil {
		return 0, err
	}
	buf := make([]byte, defaultSnaplen)
	oob := make([]byte, unix.CmsgSpace(16))
	n := 0
	lastFlush := time.Now()
	for s.Count == 0 || n < s.Count {
		if ctx.Err() != nil {
			break
		}
		// MSG_TRUNC makes the kernel report the frame's real length
		// even when it did not fit into buf.
		size, oobn, _, _, err := unix.Recvmsg(fd, buf, oob, unix.MSG_TRUNC)
		switch {
		case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EINTR):
			// Timed out (SO_RCVTIMEO): nothing arrived for a while.
			if err := pw.Flush(); err != nil {
				return n, err
			}
			lastFlush = time.Now()
			continue
		case err != nil:
			return n, fmt.Errorf("capture on %s: %w", s.Iface, err)
		}
		now := time.Now()
		if err := pw.WritePacket(stamp(oob[:oobn], now), buf[:min(size, len(buf))], size); err != nil {
			return n, err
		}
		n++
		if now.Sub(lastFlush) >= pollInterval {
			if err := pw.Flush(); err != nil {
				return n, err
			}
			lastFlush = now
		}
	}
	return n, pw.Flush()
}

// open makes an AF_PACKET socket bound to iface in the namespace at
// netnsPath. The socket is created from a thread inside the namespace and
// stays in it; reading it later needs no thread switching.
func open(netnsPath, iface string) (int, error) {
	fd := -1
	err := nsutil.Do(netnsPath, func() error {
		ifi, err := net.InterfaceByName(iface)
		if err != nil {
			return fmt.Errorf("interface %s: %w", iface, ErrNoInterface)
		}
		// Protocol 0 receives nothing until bind: a socket made with
		// ETH_P_ALL would see every interface's frames in between.
		s, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return fmt.Errorf("AF_PACKET socket: %w", err)
		}
		if err := setup(s, ifi.Index); err != nil {
			unix.Close(s)
			return fmt.Errorf("capture on %s: %w", iface, err)
		}
		fd = s
		return nil
	})
	return fd, err
}

func setup(fd, ifindex int) error {
	// Promiscuous while the socket lives (the kernel undoes it on close):
	// frames for other MACs are what a bridge port carries.
	mreq := unix.PacketMreq{Ifindex: int32(ifindex), Type: unix.PACKET_MR_PROMISC}
	if err := unix.SetsockoptPacketMreq(fd, unix.SOL_PACKET, unix.PACKET_ADD_MEMBERSHIP, &mreq); err != nil {
		return fmt.Errorf("promiscuous mode: %w", err)
	}
	// Room for bursts while the writer is busy: the default (~200 KiB)
	// holds a few dozen full-size frames.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 4<<20)
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1); err != nil {
		return fmt.Errorf("timestamps: %w", err)
	}
	tv := unix.NsecToTimeval(pollInterval.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		return err
	}
	return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifindex})
}

// stamp is the time the kernel took the frame (SO_TIMESTAMPNS), which
// Wireshark's RTTs and gaps need; without it, fallback.
func stamp(oob []byte, fallback time.Time) time.Time {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return fallback
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= 16 {
			// Copied out: the control message need not be aligned for it.
			var ts unix.Timespec
			copy(unsafe.Slice((*byte)(unsafe.Pointer(&ts)), unsafe.Sizeof(ts)), m.Data)
			return time.Unix(ts.Unix())
		}
	}
	return fallback
}

// htons puts a protocol number in network byte order, as AF_PACKET wants.
func htons(v uint16) uint16 { return v<<8 | v>>8 }
