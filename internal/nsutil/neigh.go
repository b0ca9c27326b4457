package nsutil

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
)

// Neighbours returns the resolved IPv4 neighbours on link.
//
// Equivalent to: `ip -4 neigh show dev $link` (without INCOMPLETE and FAILED ones).
func (n *NS) Neighbours(link string) (map[netip.Addr]net.HardwareAddr, error) {
	l, err := n.Link(link)
	if err != nil {
		return nil, err
	}
	ns, err := Dump(func() ([]netlink.Neigh, error) { return n.Handle.NeighList(l.Attrs().Index, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("%s: neighbours: %w", link, err)
	}
	out := map[netip.Addr]net.HardwareAddr{}
	for _, nb := range ns {
		ip, ok := netip.AddrFromSlice(nb.IP.To4())
		if ok && len(nb.HardwareAddr) == 6 && nb.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) == 0 {
			out[ip] = nb.HardwareAddr
		}
	}
	return out, nil
}

// Neighbour is one IPv4 address and the MAC that answers for it.
type Neighbour struct {
	Addr netip.Addr
	MAC  net.HardwareAddr
}

// SetPermanentNeighbours makes want link's permanent IPv4 neighbours
// within subnet, returning how many entries it added, changed or removed.
// Entries the kernel learned (not permanent) are left as they are, as
// are permanent ones outside subnet; one dump serves the whole
// comparison, so a link that already holds want costs one request.
//
// Equivalent to: `ip neigh replace $addr lladdr $mac dev $link nud
// permanent` for each of want, and `ip neigh del $addr dev $link` for
// each other permanent entry in subnet.
func (n *NS) SetPermanentNeighbours(link string, subnet netip.Prefix, want []Neighbour) (int, error) {
	l, err := n.Link(link)
	if err != nil {
		return 0, err
	}
	idx := l.Attrs().Index
	have, err := Dump(func() ([]netlink.Neigh, error) { return n.Handle.NeighList(idx, netlink.FAMILY_V4) })
	if err != nil {
		return 0, fmt.Errorf("%s: neighbours: %w", link, err)
	}
	permanent := map[netip.Addr]net.HardwareAddr{}
	for _, nb := range have {
		ip, ok := netip.AddrFromSlice(nb.IP.To4())
		if ok && nb.State&netlink.NUD_PERMANENT != 0 && subnet.Contains(ip) {
			permanent[ip] = nb.HardwareAddr
		}
	}
	changed := 0
	for _, w := range want {
		if mac, ok := permanent[w.Addr]; ok && bytes.Equal(mac, w.MAC) {
			delete(permanent, w.Addr)
			continue
		}
		delete(permanent, w.Addr)
		err := n.Handle.NeighSet(&netlink.Neigh{LinkIndex: idx, Family: netlink.FAMILY_V4,
			State: netlink.NUD_PERMANENT, IP: w.Addr.AsSlice(), HardwareAddr: w.MAC})
		if err != nil {
			return changed, fmt.Errorf("%s: neighbour %s: %w", link, w.Addr, err)
		}
		changed++
	}
	for ip := range permanent {
		err := n.Handle.NeighDel(&netlink.Neigh{LinkIndex: idx, Family: netlink.FAMILY_V4, IP: ip.AsSlice()})
		if err != nil && !errors.Is(err, syscall.ENOENT) {
			return changed, fmt.Errorf("%s: neighbour %s: %w", link, ip, err)
		}
		changed++
	}
	return changed, nil
}
