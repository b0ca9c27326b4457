package probe

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// ICMP error types a probe can get back instead of a reply.
const (
	TypeUnreachable  = 3
	TypeTimeExceeded = 11
	CodeFragNeeded   = 4 // with TypeUnreachable: DF set and the next hop's MTU too small
)

// ICMPError is a router's (or the destination's) answer that the probe
// did not get through: the hop that said so, and why.
type ICMPError struct {
	From    netip.Addr // who sent the error
	Type    int
	Code    int
	NextMTU int // the next hop's MTU, for fragmentation needed
}

func (e *ICMPError) Error() string {
	switch {
	case e.FragNeeded():
		return fmt.Sprintf("%s: fragmentation needed, next-hop MTU %d", e.From, e.NextMTU)
	case e.Type == TypeTimeExceeded:
		return fmt.Sprintf("%s: time to live exceeded", e.From)
	case e.Type == TypeUnreachable:
		return fmt.Sprintf("%s: destination unreachable (code %d)", e.From, e.Code)
	default:
		return fmt.Sprintf("%s: ICMP type %d code %d", e.From, e.Type, e.Code)
	}
}

// FragNeeded reports whether a hop dropped the probe for its size.
func (e *ICMPError) FragNeeded() bool { return e.Type == TypeUnreachable && e.Code == CodeFragNeeded }

// quotedEcho reads the echo request an ICMP error message quotes (RFC
// 792: the original IP header and its first 8 bytes follow the 8-byte
// ICMP header): its destination, id and sequence number; ok is false for
// anything else.
func quotedEcho(icmp []byte) (dst netip.Addr, id, seq uint16, ok bool) {
	if len(icmp) < 8+20+8 || (icmp[0] != TypeUnreachable && icmp[0] != TypeTimeExceeded) {
		return netip.Addr{}, 0, 0, false
	}
	inner := icmp[8:]
	ihl := int(inner[0]&0x0f) * 4
	if inner[0]>>4 != 4 || ihl < 20 || len(inner) < ihl+8 || inner[9] != 1 /* ICMP */ {
		return netip.Addr{}, 0, 0, false
	}
	q := inner[ihl:]
	if q[0] != 8 {
		return netip.Addr{}, 0, 0, false
	}
	return netip.AddrFrom4([4]byte(inner[16:20])), binary.BigEndian.Uint16(q[4:]), binary.BigEndian.Uint16(q[6:]), true
}

// newICMPError is the error message icmp (quotedEcho's ok) sent by from.
func newICMPError(icmp []byte, from netip.Addr) *ICMPError {
	e := &ICMPError{From: from, Type: int(icmp[0]), Code: int(icmp[1])}
	if e.FragNeeded() {
		e.NextMTU = int(binary.BigEndian.Uint16(icmp[6:]))
	}
	return e
}
