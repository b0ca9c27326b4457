package trace

import (
	"fmt"
	"slices"
)

// hostVeth checks the host end of a container's veth: there, up, its MTU
// and qdisc.
func (w *walker) hostVeth(v *hostView, node string, s *station, size int) bool {
	hop := Hop{Node: v.name, Kind: KindVeth, Object: s.port}
	li, err := v.ns.LinkState(s.port)
	switch {
	case err != nil:
		w.broken(hop, fmt.Sprintf("%s has no veth %s for %s", v.name, s.port, s.what()), w.upAgain("plugs "+node+" back in"))
		return false
	case !li.Up:
		w.broken(hop, fmt.Sprintf("%s, the host end of %s, is down", s.port, s.what()),
			&Fix{Text: "bring it up", On: v.name, Commands: []string{"ip link set " + s.port + " up"}})
		return false
	case size > li.MTU:
		w.broken(hop, fmt.Sprintf("%s has MTU %d: a %d-byte packet does not cross it", s.port, li.MTU, size), w.mtuFix(v.name, s.port, li.MTU, s.mtu, size))
		return false
	}
	hop.Fact = fmt.Sprintf("up, mtu %d", li.MTU)
	q, _ := v.ns.RootQdisc(s.port)
	planned := w.impairOf(node, s.iface)
	switch {
	case q == "" && planned == "":
		hop.Fact += ", no qdisc"
	case q != "" && planned == "":
		hop.Status, hop.Fact = StatusWarn, hop.Fact+", qdisc "+q
		hop.Cause = fmt.Sprintf("%s has a %s qdisc the file does not give: it delays, limits or drops", s.port, q)
		hop.Fix = &Fix{Text: "remove it", On: v.name, Commands: []string{"tc qdisc del dev " + s.port + " root"}}
	default:
		hop.Fact += fmt.Sprintf(", qdisc %s (the file: impair %s)", orNone(q), planned)
	}
	w.add(hop)
	return true
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// impairOf is the file's impair: of node's interface, "" if none.
func (w *walker) impairOf(node, iface string) string {
	c, ok := w.t.ContainerByName(node)
	if !ok {
		return ""
	}
	for _, it := range c.Interfaces {
		if it.Name == iface && it.Impair != nil {
			return it.Impair.String()
		}
	}
	return ""
}

// containerGone breaks the walk at a station's container when it is not
// running: its veth and port go with it, and the container is the cause.
func (w *walker) containerGone(s *station) (Position, bool) {
	ns, why := w.containerNS(s.node)
	if ns != nil {
		ns.Close()
		return Position{}, false
	}
	return w.broken(Hop{Node: s.node, Kind: KindIface, Object: s.node}, why, w.upAgain("starts "+s.node+" and plugs its interfaces back in")), true
}

// toContainer delivers a frame out of OVS port s.port to the container.
func (w *walker) toContainer(v *hostView, s *station, pkt Packet) (Position, Packet) {
	if p, gone := w.containerGone(s); gone {
		return p, pkt
	}
	hop := Hop{Node: v.name, Kind: KindVeth, Object: s.port}
	li, err := v.ns.LinkState(s.port)
	switch {
	case err != nil:
		return w.broken(hop, fmt.Sprintf("%s has no veth %s for %s", v.name, s.port, s.what()), w.upAgain("plugs "+s.node+" back in")), pkt
	case !li.Up:
		return w.broken(hop, fmt.Sprintf("%s, the host end of %s, is down", s.port, s.what()),
			&Fix{Text: "bring it up", On: v.name, Commands: []string{"ip link set " + s.port + " up"}}), pkt
	case pkt.Size > li.MTU:
		return w.broken(hop, fmt.Sprintf("%s has MTU %d: a %d-byte packet does not cross it", s.port, li.MTU, pkt.Size), w.mtuFix(v.name, s.port, li.MTU, s.mtu, pkt.Size)), pkt
	}
	hop.Fact = fmt.Sprintf("up, mtu %d", li.MTU)
	w.add(hop)
	ns, why := w.containerNS(s.node)
	if ns == nil {
		return w.broken(Hop{Node: s.node, Kind: KindIface, Object: s.node}, why, w.upAgain("starts "+s.node+" and plugs its interfaces back in")), pkt
	}
	defer ns.Close()
	hop = Hop{Node: s.node, Kind: KindIface, Object: s.iface}
	ci, err := ns.LinkState(s.iface)
	switch {
	case err != nil:
		return w.broken(hop, fmt.Sprintf("%s has no interface %s", s.node, s.iface), w.upAgain("plugs it back in")), pkt
	case !ci.Up:
		return w.broken(hop, fmt.Sprintf("%s's %s is down", s.node, s.iface),
			&Fix{Text: "bring it up, and its default route back", On: s.node, Commands: withRoute(s, "ip link set "+s.iface+" up")}), pkt
	case pkt.Size > ci.MTU:
		return w.broken(hop, fmt.Sprintf("%s's %s has MTU %d: a %d-byte packet is dropped on its way in", s.node, s.iface, ci.MTU, pkt.Size),
			w.mtuFix(s.node, s.iface, ci.MTU, s.mtu, pkt.Size)), pkt
	}
	addrs, _ := ns.Addrs(s.iface)
	if !slices.Contains(addrs, s.addr) {
		return w.brokenAddress(s.node, s, addrs), pkt
	}
	hop.Fact = fmt.Sprintf("up, mtu %d, %s", ci.MTU, s.addr)
	w.add(hop)
	if pkt.Dst != s.addr.Addr() {
		return w.broken(Hop{Node: s.node, Kind: KindDeliver, Object: s.iface}, fmt.Sprintf("the frame reaches %s, which does not hold %s and routes nothing", s.what(), pkt.Dst), nil), pkt
	}
	w.add(Hop{Node: s.node, Kind: KindDeliver, Object: s.iface, Fact: fmt.Sprintf("%s is %s", pkt.Dst, s.what())})
	return Position{Kind: posDone, Node: s.node, Host: v.name}, pkt
}
