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

// Outcome is what one echo of a Sweep got: what Ping would have
// returned for it alone.
type Outcome struct {
	RTT time.Duration
	Err error // nil, ErrNoReply, an *ICMPError or the send's error
}

// maxIPHeader is the longest IPv4 header, options included.
const maxIPHeader = 60

// sweepPoll bounds one wait for a packet, so timeouts and a cancelled
// ctx are noticed soon.
const sweepPoll = 20 * time.Millisecond

// Sweep sends echoes from the netns at netnsPath ("" = current) through
// one raw socket, at most window of them awaiting a reply at once, and
// returns each one's outcome in order. All echoes share one source
// address and TTL (the first one's). Each echo keeps Ping's rules: Tries
// attempts of Timeout each, only a reply to the attempt in flight counts,
// and an ICMP error about it ends it.
//
// One socket for a container's many probes enters its netns once; and a
// raw socket sees every ICMP packet of its netns, so many sockets probing
// from one container would each read every reply. The error is for the
// sweep as a whole: the socket could not be made, or ctx ended.
func Sweep(ctx context.Context, netnsPath string, echoes []Echo, window int) ([]Outcome, error) {
	if len(echoes) == 0 {
		return nil, nil
	}
	for _, e := range echoes[1:] {
		if e.Src != echoes[0].Src || e.TTL != echoes[0].TTL {
			return nil, fmt.Errorf("a sweep's echoes share one source and TTL: %s ttl %d, then %s ttl %d", echoes[0].Src, echoes[0].TTL, e.Src, e.TTL)
		}
	}
	fd, err := echoSocket(netnsPath, echoes[0])
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	tv := syscall.NsecToTimeval(sweepPoll.Nanoseconds())
	if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		return nil, fmt.Errorf("icmp socket timeout: %w", err)
	}
	// seq numbers an echo and its attempt; a chunk uses at most all 16 bits
	// under an id of its own, so a late reply never lands on another chunk.
	// A reply is as long as its request; anything longer is not ours, and
	// an ICMP error says whose it is in its first bytes (Linux quotes at
	// most 576).
	s := &sweep{fd: fd, df: -1, stride: 1, out: make([]Outcome, len(echoes))}
	size := 576
	for _, e := range echoes {
		s.stride = max(s.stride, e.Tries)
		size = max(size, maxIPHeader+8+e.Size)
	}
	s.buf = make([]byte, size)
	chunk := 65535 / s.stride
	for lo := 0; lo < len(echoes); lo += chunk {
		hi := min(lo+chunk, len(echoes))
		if err := s.run(ctx, echoes[lo:hi], s.out[lo:hi], max(window, 1)); err != nil {
			return nil, err
		}
	}
	return s.out, nil
}

// echoSocket opens a raw ICMP socket in the netns at netnsPath, bound to
// e.Src and sending with e.TTL when they are set.
func echoSocket(netnsPath string, e Echo) (int, error) {
	var fd int
	err := nsutil.Do(netnsPath, func() error {
		var err error
		fd, err = syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_ICMP)
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("icmp socket: %w", err)
	}
	if e.Src.IsValid() {
		if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: e.Src.As4()}); err != nil {
			syscall.Close(fd)
			return -1, fmt.Errorf("bind %s: %w", e.Src, err)
		}
	}
	if e.TTL > 0 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IP, syscall.IP_TTL, e.TTL); err != nil {
			syscall.Close(fd)
			return -1, fmt.Errorf("set TTL: %w", err)
		}
	}
	return fd, nil
}

type sweep struct {
	fd     int
	df     int // the socket's IP_MTU_DISCOVER, -1 before the first send
	stride int // seq = index*stride + attempt (from 0)
	buf    []byte
	out    []Outcome
}

// run sends one chunk's echoes, window at a time, and reads the replies
// into out.
func (s *sweep) run(ctx context.Context, echoes []Echo, out []Outcome, window int) error {
	id := uint16(rand.Uint32())
	sent := make([]time.Time, len(echoes)) // the attempt in flight's send time
	tries := make([]int, len(echoes))      // attempts made
	done := make([]bool, len(echoes))
	inflight := make([]int, 0, window)
	finish := func(i int, o Outcome) {
		out[i], done[i] = o, true
	}
	send := func(i int) bool {
		tries[i]++
		sent[i] = time.Now()
		if err := s.send(echoes[i], id, uint16(i*s.stride+tries[i]-1)); err != nil {
			finish(i, Outcome{Err: err})
			return false
		}
		return true
	}
	next := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := time.Now()
		keep := inflight[:0]
		for _, i := range inflight {
			e := echoes[i]
			switch {
			case done[i]:
			case now.Sub(sent[i]) < timeoutOf(e):
				keep = append(keep, i)
			case tries[i] < max(e.Tries, 1):
				if send(i) {
					keep = append(keep, i)
				}
			default:
				finish(i, Outcome{Err: ErrNoReply})
			}
		}
		inflight = keep
		for len(inflight) < window && next < len(echoes) {
			if send(next) {
				inflight = append(inflight, next)
			}
			next++
		}
		if len(inflight) == 0 && next == len(echoes) {
			return nil
		}
		s.read(echoes, id, func(i, attempt int, ie *ICMPError) {
			if i >= len(echoes) || done[i] || attempt != tries[i]-1 {
				return // a reply to an attempt given up on, or not ours
			}
			if ie != nil {
				finish(i, Outcome{Err: ie})
			} else {
				finish(i, Outcome{RTT: time.Since(sent[i])})
			}
		})
	}
}

func timeoutOf(e Echo) time.Duration {
	if e.Timeout <= 0 {
		return time.Second
	}
	return e.Timeout
}

// send sends e's echo request, setting Don't Fragment as e asks.
func (s *sweep) send(e Echo, id, seq uint16) error {
	pmtu := syscall.IP_PMTUDISC_DONT
	if e.DF {
		pmtu = syscall.IP_PMTUDISC_PROBE // DF on, and no local fragmentation by a cached PMTU
	}
	if pmtu != s.df {
		if err := syscall.SetsockoptInt(s.fd, syscall.IPPROTO_IP, syscall.IP_MTU_DISCOVER, pmtu); err != nil {
			return fmt.Errorf("set DF: %w", err)
		}
		s.df = pmtu
	}
	if err := syscall.Sendto(s.fd, echoRequest(id, seq, e.Size), 0, &syscall.SockaddrInet4{Addr: e.Dst.As4()}); err != nil {
		return fmt.Errorf("send to %s: %w", e.Dst, err)
	}
	return nil
}

// read waits up to sweepPoll for one ICMP packet and, when it answers
// (or reports an error about) one of this chunk's echoes, calls got with
// that echo's index and attempt.
func (s *sweep) read(echoes []Echo, id uint16, got func(i, attempt int, ie *ICMPError)) {
	n, sa, err := syscall.Recvfrom(s.fd, s.buf, 0)
	if err != nil {
		if !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR) {
			time.Sleep(sweepPoll) // not expected on a raw socket; do not spin
		}
		return
	}
	src, ok := sa.(*syscall.SockaddrInet4)
	if !ok || n < 20 {
		return
	}
	ihl := int(s.buf[0]&0x0f) * 4
	if n < ihl+8 {
		return
	}
	icmp := s.buf[ihl:n]
	from := netip.AddrFrom4(src.Addr)
	if dst, qid, seq, ok := quotedEcho(icmp); ok {
		if qid != id {
			return
		}
		i, attempt := int(seq)/s.stride, int(seq)%s.stride
		if i < len(echoes) && echoes[i].Dst == dst {
			got(i, attempt, newICMPError(icmp, from))
		}
		return
	}
	if icmp[0] != 0 || binary.BigEndian.Uint16(icmp[4:]) != id {
		return
	}
	seq := binary.BigEndian.Uint16(icmp[6:])
	i, attempt := int(seq)/s.stride, int(seq)%s.stride
	if i < len(echoes) && echoes[i].Dst == from {
		got(i, attempt, nil)
	}
}
