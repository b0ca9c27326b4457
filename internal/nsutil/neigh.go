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

// Neighbour is one entry of the neighbour table.
type Neighbour struct {
	MAC   net.HardwareAddr // nil while unresolved
	State string           // as ip prints it: REACHABLE, STALE, DELAY, PROBE, INCOMPLETE, FAILED, PERMANENT, NOARP
}

// NeighbourOf returns the entry for ip on link; ok is false when there is
// none (nothing has asked for ip lately).
//
// Equivalent to: `ip -4 neigh show $ip dev $link`.
func (n *NS) NeighbourOf(link string, ip netip.Addr) (nb Neighbour, ok bool, err error) {
	l, err := n.Link(link)
	if err != nil {
		return nb, false, err
	}
	ns, err := Dump(func() ([]netlink.Neigh, error) { return n.Handle.NeighList(l.Attrs().Index, netlink.FAMILY_V4) })
	if err != nil {
		return nb, false, fmt.Errorf("%s: neighbours: %w", link, err)
	}
	for _, e := range ns {
		if a, _ := netip.AddrFromSlice(e.IP.To4()); a == ip {
			nb.State = neighState(e.State)
			if len(e.HardwareAddr) == 6 && e.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) == 0 {
				nb.MAC = e.HardwareAddr
			}
			return nb, true, nil
		}
	}
	return nb, false, nil
}

func neighState(s int) string {
	for _, x := range []struct {
		bit  int
		name string
	}{{netlink.NUD_PERMANENT, "PERMANENT"}, {netlink.NUD_NOARP, "NOARP"}, {netlink.NUD_REACHABLE, "REACHABLE"},
		{netlink.NUD_STALE, "STALE"}, {netlink.NUD_DELAY, "DELAY"}, {netlink.NUD_PROBE, "PROBE"},
		{netlink.NUD_INCOMPLETE, "INCOMPLETE"}, {netlink.NUD_FAILED, "FAILED"}} {
		if s&x.bit != 0 {
			return x.name
		}
	}
	return "NONE"
}
