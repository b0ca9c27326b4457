package probe

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// ARP asks, from interface ifname in the netns at netnsPath, who has dst,
// and reports whether anyone answered before timeout. ICMP cannot tell L2
// isolation from routing (a gateway may forward between two networks);
// an ARP request never leaves its broadcast domain, so a reply proves the
// two share one.
func ARP(ctx context.Context, netnsPath, ifname string, dst netip.Addr, timeout time.Duration) (bool, error) {
	var (
		fd  int
		ifi *net.Interface
		src netip.Addr
	)
	err := nsutil.Do(netnsPath, func() error {
		var err error
		if ifi, err = net.InterfaceByName(ifname); err != nil {
			return err
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
				src, _ = netip.AddrFromSlice(n.IP.To4())
				break
			}
		}
		if !src.IsValid() {
			return fmt.Errorf("%s has no IPv4 address", ifname)
		}
		fd, err = syscall.Socket(syscall.AF_PACKET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, int(htons(syscall.ETH_P_ARP)))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("arp on %s: %w", ifname, err)
	}
	defer syscall.Close(fd)
	ll := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ARP), Ifindex: ifi.Index}
	if err := syscall.Bind(fd, ll); err != nil {
		return false, fmt.Errorf("arp on %s: bind: %w", ifname, err)
	}
	to := &syscall.SockaddrLinklayer{Protocol: htons(syscall.ETH_P_ARP), Ifindex: ifi.Index, Halen: 6,
		Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	if err := syscall.Sendto(fd, arpRequest(ifi.HardwareAddr, src, dst), 0, to); err != nil {
		return false, fmt.Errorf("arp on %s: send: %w", ifname, err)
	}
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1500)
	for {
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return false, ctx.Err()
		}
		tv := syscall.NsecToTimeval(min(left, 200*time.Millisecond).Nanoseconds())
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
			return false, err
		}
		n, _, err := syscall.Recvfrom(fd, buf, 0)
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("arp on %s: %w", ifname, err)
		}
		// A reply (op 2) whose sender is dst, to us.
		if n >= 28 && binary.BigEndian.Uint16(buf[6:]) == 2 &&
			netip.AddrFrom4([4]byte(buf[14:18])) == dst && netip.AddrFrom4([4]byte(buf[24:28])) == src {
			return true, nil
		}
	}
}

func arpRequest(mac net.HardwareAddr, src, dst netip.Addr) []byte {
	b := make([]byte, 28)
	binary.BigEndian.PutUint16(b[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(b[2:], 0x0800) // IPv4
	b[4], b[5] = 6, 4
	binary.BigEndian.PutUint16(b[6:], 1) // request
	copy(b[8:14], mac)
	s, d := src.As4(), dst.As4()
	copy(b[14:18], s[:])
	copy(b[24:28], d[:])
	return b
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }
