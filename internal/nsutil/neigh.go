package nsutil

import (
	"fmt"
	"net"
	"net/netip"

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
