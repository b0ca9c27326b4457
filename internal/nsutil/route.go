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

// RouteHop is the kernel's answer to where a packet goes next.
type RouteHop struct {
	Local bool       // the packet is for this netns itself
	Dev   string     // the interface it leaves by ("lo" when Local)
	Gw    netip.Addr // the next hop; invalid when dst is on-link
	Src   netip.Addr // the source address the kernel would choose
	MTU   int        // the route's own mtu, 0 when it has none (the interface's applies)
}

// RouteGet asks the kernel where a packet to dst goes: sent from here
// when iif is "", else as if it arrived on iif from src, which is how a
// forwarded packet is routed (and refused where forwarding is off).
//
// Equivalent to: `ip route get $dst [from $src iif $iif]`.
func (n *NS) RouteGet(dst, src netip.Addr, iif string) (RouteHop, error) {
	o := &netlink.RouteGetOptions{Iif: iif}
	if src.IsValid() {
		o.SrcAddr = src.AsSlice()
	}
	rs, err := n.Handle.RouteGetWithOptions(dst.AsSlice(), o)
	if err != nil {
		return RouteHop{}, err
	}
	if len(rs) == 0 {
		return RouteHop{}, fmt.Errorf("route to %s: no answer", dst)
	}
	r := rs[0]
	h := RouteHop{Local: r.Type == 2 /* RTN_LOCAL */, MTU: r.MTU}
	if l, err := n.Handle.LinkByIndex(r.LinkIndex); err == nil {
		h.Dev = l.Attrs().Name
	}
	if gw, ok := netip.AddrFromSlice(r.Gw.To4()); ok {
		h.Gw = gw
	}
	if s, ok := netip.AddrFromSlice(r.Src.To4()); ok {
		h.Src = s
	}
	return h, nil
}

// RouteMatch is the prefix of the route the kernel picks for dst.
//
// Equivalent to: `ip route get fibmatch $dst`.
func (n *NS) RouteMatch(dst netip.Addr) (netip.Prefix, error) {
	rs, err := n.Handle.RouteGetWithOptions(dst.AsSlice(), &netlink.RouteGetOptions{FIBMatch: true})
	if err != nil {
		return netip.Prefix{}, err
	}
	if len(rs) == 0 || rs[0].Dst == nil {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0), nil
	}
	ip, _ := netip.AddrFromSlice(rs[0].Dst.IP.To4())
	ones, _ := rs[0].Dst.Mask.Size()
	return netip.PrefixFrom(ip, ones), nil
}
