package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"net/netip"
	"time"
)

// Echo is one probe: Size bytes of ICMP payload to Dst (so the IP packet is
// Size+28 bytes), with DF set when DF is true.
type Echo struct {
	Dst     netip.Addr
	Src     netip.Addr // optional: the source address (one of the netns's own)
	Size    int
	DF      bool
	Timeout time.Duration // per attempt
	Tries   int           // attempts; the first reply wins
	TTL     int           // IP time to live; 0 = the system default
}

// ErrNoReply is returned when no attempt got an echo reply in time.
var ErrNoReply = errors.New("no reply")

// Ping runs e from the netns at netnsPath ("" = current) and returns the
// round-trip time of the first reply. It gives up soon after ctx ends.
func Ping(ctx context.Context, netnsPath string, e Echo) (time.Duration, error) {
	out, err := Sweep(ctx, netnsPath, []Echo{e}, 1)
	if err != nil {
		return 0, err
	}
	return out[0].RTT, out[0].Err
}

func echoRequest(id, seq uint16, size int) []byte {
	b := make([]byte, 8+size)
	b[0] = 8 // echo request
	binary.BigEndian.PutUint16(b[4:], id)
	binary.BigEndian.PutUint16(b[6:], seq)
	for i := 8; i < len(b); i++ {
		b[i] = byte(i)
	}
	binary.BigEndian.PutUint16(b[2:], checksum(b))
	return b
}

func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}
