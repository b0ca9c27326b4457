package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"syscall"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
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
	if e.Tries <= 0 {
		e.Tries = 1
	}
	if e.Timeout <= 0 {
		e.Timeout = time.Second
	}
	var fd int
	err := nsutil.Do(netnsPath, func() error {
		var err error
		fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("icmp socket: %w", err)
	}
	defer syscall.Close(fd)
	if e.Src.IsValid() {
		if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: e.Src.As4()}); err != nil {
			return 0, fmt.Errorf("bind %s: %w", e.Src, err)
		}
	}
	pmtu := syscall.IP_PMTUDISC_DONT
	if e.DF {
		pmtu = syscall.IP_PMTUDISC_PROBE // DF on, and no local fragmentation by a cached PMTU
	}
	if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER, pmtu); err != nil {
		return 0, fmt.Errorf("set DF: %w", err)
	}
	if e.TTL > 0 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, syscall.IP_TTL, e.TTL); err != nil {
			return 0, fmt.Errorf("set TTL: %w", err)
		}
	}
	id := uint16(rand.Uint32())
	to := &syscall.SockaddrInet4{Addr: e.Dst.As4()}
	for seq := 1; seq <= e.Tries; seq++ {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		start := time.Now()
		if err := syscall.Sendto(fd, echoRequest(id, uint16(seq), e.Size), 0, to); err != nil {
			return 0, fmt.Errorf("send to %s: %w", e.Dst, err)
		}
		ok, ierr := waitReply(ctx, fd, e.Dst, id, uint16(seq), start.Add(e.Timeout))
		if ok {
			return time.Since(start), nil
		}
		if ierr != nil {
			return 0, ierr
		}
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return 0, ErrNoReply
}

// waitReply reads ICMP until the matching echo reply, an ICMP error about
// our request, the deadline or the end of ctx. A raw socket sees every
// ICMP packet of the netns, hence the filtering. Reads wait at most a
// slice at a time so a cancelled ctx is noticed quickly.
func waitReply(ctx context.Context, fd int, from netip.Addr, id, seq uint16, deadline time.Time) (bool, *ICMPError) {
	buf := make([]byte, 65536)
	for {
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return false, nil
		}
		left = min(left, 200*time.Millisecond)
		tv := syscall.NsecToTimeval(left.Nanoseconds())
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
			return false, nil
		}
		n, sa, err := syscall.Recvfrom(fd, buf, 0)
		if err != nil {
			if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
				continue
			}
			return false, nil
		}
		src, ok := sa.(*syscall.SockaddrInet4)
		if !ok || n < 20 {
			continue
		}
		ihl := int(buf[0]&0x0f) * 4
		if n < ihl+8 {
			continue
		}
		icmp := buf[ihl:n]
		if ie := icmpError(icmp, netip.AddrFrom4(src.Addr), from, id, seq); ie != nil {
			return false, ie
		}
		if netip.AddrFrom4(src.Addr) != from {
			continue
		}
		if icmp[0] == 0 && binary.BigEndian.Uint16(icmp[4:]) == id && binary.BigEndian.Uint16(icmp[6:]) == seq {
			return true, nil
		}
	}
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
