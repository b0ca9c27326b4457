package nsutil

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
)

// Route is one IPv4 route of the main table through a link. The JSON
// names are those a lab's state records routes under.
type Route struct {
	Dst      netip.Prefix `json:"dst"`
	Gw       netip.Addr   `json:"gw,omitzero"`
	Priority int          `json:"priority,omitempty"`
}

// Routes lists the main-table IPv4 routes through link that the kernel
// did not make itself (connected routes come back with the address).
//
// Equivalent to: `ip -4 route show table main dev $link` without `proto kernel`.
func (n *NS) Routes(link string) ([]Route, error) {
	l, err := n.Link(link)
	if err != nil {
		return nil, err
	}
	rs, err := Dump(func() ([]netlink.Route, error) { return n.Handle.RouteList(l, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("%s: routes: %w", link, err)
	}
	var out []Route
	for _, r := range rs {
		if r.Protocol == 2 /* RTPROT_KERNEL */ || (r.Table != 0 && r.Table != 254) {
			continue
		}
		sr := Route{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Priority: r.Priority}
		if r.Dst != nil {
			ip, _ := netip.AddrFromSlice(r.Dst.IP.To4())
			ones, _ := r.Dst.Mask.Size()
			sr.Dst = netip.PrefixFrom(ip, ones)
		}
		if gw, ok := netip.AddrFromSlice(r.Gw.To4()); ok {
			sr.Gw = gw
		}
		out = append(out, sr)
	}
	return out, nil
}

// RouteReplace makes each route go through link, unless it does.
//
// Equivalent to: `ip route replace $dst via $gw dev $link metric $priority`
// for each route.
func (n *NS) RouteReplace(link string, routes ...Route) error {
	if len(routes) == 0 {
		return nil
	}
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	have, err := n.Routes(link)
	if err != nil {
		return err
	}
	for _, sr := range routes {
		if slices.Contains(have, sr) {
			continue
		}
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: toIPNet(sr.Dst), Priority: sr.Priority}
		if sr.Gw.IsValid() {
			r.Gw = sr.Gw.AsSlice()
		}
		if err := n.Handle.RouteReplace(r); err != nil {
			return fmt.Errorf("route %s via %s dev %s: %w", sr.Dst, sr.Gw, link, err)
		}
		dst := sr.Dst.String()
		if sr.Dst.Bits() == 0 {
			dst = "default"
		}
		n.changed(link, "route %s via %s set", dst, sr.Gw)
	}
	return nil
}

// DefaultRoute makes the default route go via gw on link.
//
// Equivalent to: `ip route replace default via $gw dev $link`.
func (n *NS) DefaultRoute(link string, gw netip.Addr) error {
	return n.RouteReplace(link, Route{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Gw: gw})
}
