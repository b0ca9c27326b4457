package testenv

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"time"
)

// Frame is one record of a pcap file, decoded as far as tests look:
// Ethernet, IPv4, then ICMP or UDP, and VXLAN on UDP port 4789.
type Frame struct {
	Time     time.Time
	Data     []byte
	Proto    byte // IPv4 protocol: 1 ICMP, 17 UDP; 0 when not IPv4
	Src, Dst netip.Addr
	DstPort  uint16 // UDP
	ICMPType byte   // ICMP: 8 echo request, 0 echo reply
	VNI      uint32 // VXLAN with the I flag set
	VXLAN    bool
	Inner    *Frame // the frame a VXLAN packet carries
}

// ReadPcap parses a classic pcap file (either byte order, micro- or
// nanosecond timestamps) with LINKTYPE_ETHERNET, written independently of
// ovslab's writer so that a test checks the format, not the code against
// itself.
func ReadPcap(b []byte) ([]Frame, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("pcap: %d bytes, shorter than the 24-byte file header", len(b))
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("pcap: bad magic %x", b[:4])
	}
	if major, minor := bo.Uint16(b[4:]), bo.Uint16(b[6:]); major != 2 || minor != 4 {
		return nil, fmt.Errorf("pcap: version %d.%d, want 2.4", major, minor)
	}
	if lt := bo.Uint32(b[20:]); lt != 1 {
		return nil, fmt.Errorf("pcap: link type %d, want 1 (Ethernet)", lt)
	}
	snap := bo.Uint32(b[16:])
	nano := bo.Uint32(b) == 0xa1b23c4d
	var out []Frame
	for off := 24; off < len(b); {
		if len(b)-off < 16 {
			return out, fmt.Errorf("pcap: truncated record header at byte %d", off)
		}
		incl, orig := bo.Uint32(b[off+8:]), bo.Uint32(b[off+12:])
		if incl > snap || incl > orig {
			return out, fmt.Errorf("pcap: record at byte %d: %d bytes captured of %d, snaplen %d", off, incl, orig, snap)
		}
		off += 16
		if uint32(len(b)-off) < incl {
			return out, fmt.Errorf("pcap: record at byte %d cut short", off)
		}
		f := DecodeEthernet(b[off : off+int(incl)])
		sec, frac := int64(bo.Uint32(b[off-16:])), int64(bo.Uint32(b[off-12:]))
		if !nano {
			frac *= 1000
		}
		f.Time = time.Unix(sec, frac)
		out = append(out, f)
		off += int(incl)
	}
	return out, nil
}

// DecodeEthernet decodes what a Frame holds from an Ethernet frame.
func DecodeEthernet(d []byte) Frame {
	f := Frame{Data: d}
	if len(d) < 14+20 || binary.BigEndian.Uint16(d[12:]) != 0x0800 {
		return f
	}
	ip := d[14:]
	ihl := int(ip[0]&0x0f) * 4
	if ip[0]>>4 != 4 || ihl < 20 || len(ip) < ihl {
		return f
	}
	f.Proto = ip[9]
	f.Src, _ = netip.AddrFromSlice(ip[12:16])
	f.Dst, _ = netip.AddrFromSlice(ip[16:20])
	l4 := ip[ihl:]
	switch {
	case f.Proto == 1 && len(l4) >= 1:
		f.ICMPType = l4[0]
	case f.Proto == 17 && len(l4) >= 8:
		f.DstPort = binary.BigEndian.Uint16(l4[2:])
		vx := l4[8:]
		// VXLAN (RFC 7348): flags with the I bit, 3 reserved bytes, a
		// 24-bit VNI and a reserved byte, then the inner Ethernet frame.
		if f.DstPort == 4789 && len(vx) >= 8 && vx[0]&0x08 != 0 {
			f.VXLAN = true
			f.VNI = uint32(vx[4])<<16 | uint32(vx[5])<<8 | uint32(vx[6])
			inner := DecodeEthernet(vx[8:])
			f.Inner = &inner
		}
	}
	return f
}

// String sums a frame up for a failing test's log: addresses and protocol
// for IPv4, the ethertype otherwise, and what a VXLAN packet carries.
func (f Frame) String() string {
	switch {
	case f.VXLAN && f.Inner != nil:
		return fmt.Sprintf("%s > %s vxlan %d [%s]", f.Src, f.Dst, f.VNI, *f.Inner)
	case f.Proto != 0:
		return fmt.Sprintf("%s > %s proto %d", f.Src, f.Dst, f.Proto)
	case len(f.Data) >= 14:
		return fmt.Sprintf("ethertype %#04x", binary.BigEndian.Uint16(f.Data[12:]))
	}
	return fmt.Sprintf("%d bytes", len(f.Data))
}
