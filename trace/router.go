package trace

import (
	"fmt"
	"net/netip"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/nat"
)

// routerNode names the emulated router in hops and fixes (ovslab exec
// LAB router works).
const routerNode = "router"

// routerNS opens the emulated router's netns, once.
func (w *walker) routerNS() (*nsutil.NS, error) {
	if w.router == nil {
		ns, err := nsutil.Open(labs.RouterNetns(w.st.Lab))
		if err != nil {
			return nil, err
		}
		w.router = ns
	}
	return w.router, nil
}

// wire is a packet on the underlay between two hosts, or a host and the
// emulated internet: through the router of an emulated lab; a real
// lab's network is not read.
func (w *walker) wire(p Position, pkt Packet) (Position, Packet) {
	if w.st.Mode == labs.ModeEmulated {
		return w.routerStep(p, pkt)
	}
	to := w.hostByVTEP(p.To)
	w.add(Hop{Node: p.FromHost, Kind: KindUnseen, Object: "underlay", Status: StatusUnseen,
		Fact: fmt.Sprintf("the network from %s to %s is not the lab's to read (ovslab check --all sends DF packets of underlay.mtu bytes across it)", p.FromHost, p.To)})
	switch {
	case p.Tunnel && to != "":
		return Position{Kind: posTunnel, Host: to, From: w.underlayOf(p.FromHost), FromHost: p.FromHost, Key: p.Key, Iface: p.Iface}, pkt
	case to != "":
		return Position{Kind: posUplink, Host: to}, pkt
	}
	return Position{Kind: posStop}, pkt
}

// routerStep is a packet crossing the emulated router: the link it comes
// in by, forwarding, the route, FORWARD rules, and the links it leaves by.
func (w *walker) routerStep(p Position, pkt Packet) (Position, Packet) {
	r, err := w.routerNS()
	if err != nil {
		return w.unreadable(routerNode, err), pkt
	}
	size, src, proto, dport := pkt.Size, pkt.Src, pkt.Proto, pkt.Port
	if p.Tunnel {
		size, src, proto, dport = pkt.Size+encap(pkt.VLAN), w.underlayOf(p.FromHost), "udp", vxlanPort
	}
	in := labs.RouterLink(p.FromHost)
	if p.FromHost == "wan" {
		in, _ = labs.WANLinks()
	}
	if !w.linkMTU(routerNode, r, in, size, pkt.Size, p.Tunnel, "in") {
		return Position{Kind: posStop}, pkt
	}
	iif := in
	if li, err := r.LinkState(in); err == nil && li.Master != "" {
		iif = li.Master
	}
	hop := Hop{Node: routerNode, Kind: KindRoute, Object: iif}
	rh, err := r.RouteGet(p.To, src, iif)
	if err != nil {
		if on, _ := nat.IPForward(labs.RouterNetns(w.st.Lab)); !on {
			return w.broken(Hop{Node: routerNode, Kind: KindForward, Object: "ip_forward"}, "the router does not forward: net.ipv4.ip_forward is 0",
				&Fix{Text: "turn forwarding on", On: routerNode, Commands: []string{"sysctl -w net.ipv4.ip_forward=1"}}), pkt
		}
		return w.broken(hop, fmt.Sprintf("the router has no route to %s: %v", p.To, err), w.upAgain("rebuilds the router")), pkt
	}
	hop.Fact = routeWord(p.To, rh)
	w.add(hop)
	f := flow{src: src, dst: p.To, proto: proto, dport: dport, in: iif, out: rh.Dev, reply: pkt.Reply && !p.Tunnel}
	if !p.Tunnel && pkt.Reply {
		f.sport, f.dport = pkt.Port, 0
	}
	f.icmpReply = pkt.Reply && !p.Tunnel
	if !w.filterPasses(routerNode, labs.RouterNetns(w.st.Lab), w.readRouterChains, "FORWARD", f, "") {
		return Position{Kind: posStop}, pkt
	}
	to := w.hostByVTEP(p.To)
	if to == "" {
		if !w.linkMTU(routerNode, r, rh.Dev, size, pkt.Size, p.Tunnel, "out") {
			return Position{Kind: posStop}, pkt
		}
		if w.t.Emulation.WAN.Contains(p.To) {
			return Position{Kind: posWAN}, pkt
		}
		return w.broken(Hop{Node: routerNode, Kind: KindDeliver, Object: rh.Dev}, fmt.Sprintf("%s is neither a host of the lab nor the emulated internet", p.To), nil), pkt
	}
	// The host's own link first: a Linux bridge lowers its MTU to its
	// smallest port's, so the port is the cause and its fix mends both.
	if out := labs.RouterLink(to); out != rh.Dev {
		li, err := r.LinkState(out)
		if err == nil && li.Master != rh.Dev {
			return w.broken(Hop{Node: routerNode, Kind: KindLink, Object: out}, fmt.Sprintf("the router's link to %s is not on %s, %s's segment", to, rh.Dev, to), w.upAgain("rebuilds the router")), pkt
		}
		if !w.linkMTU(routerNode, r, out, size, pkt.Size, p.Tunnel, "out") {
			return Position{Kind: posStop}, pkt
		}
	}
	if !w.linkMTU(routerNode, r, rh.Dev, size, pkt.Size, p.Tunnel, "out") {
		return Position{Kind: posStop}, pkt
	}
	if p.Tunnel {
		return Position{Kind: posTunnel, Host: to, From: w.underlayOf(p.FromHost), FromHost: p.FromHost, Key: p.Key, Iface: p.Iface}, pkt
	}
	return Position{Kind: posUplink, Host: to}, pkt
}

// uplinkIn is a plain packet arriving at a host from the underlay (a
// reply from the internet to the address it masqueraded to).
func (w *walker) uplinkIn(p Position, pkt Packet) (Position, Packet) {
	v := w.host(p.Host)
	if v.err != nil {
		return w.unreadable(p.Host, v.err), pkt
	}
	rh, err := v.ns.RouteGet(pkt.Src, netip.Addr{}, "")
	if err != nil {
		return w.broken(Hop{Node: p.Host, Kind: KindRoute, Object: "underlay"}, fmt.Sprintf("%s has no route back to %s: %v", p.Host, pkt.Src, err), w.upAgain("restores its routes")), pkt
	}
	for _, nic := range v.uplinkNICs(rh.Dev) {
		if !w.linkMTU(p.Host, v.ns, nic, pkt.Size, pkt.Size, false, "in") {
			return Position{Kind: posStop}, pkt
		}
	}
	return Position{Kind: posKernel, Host: p.Host, Iface: rh.Dev}, pkt
}

// wanIn is a packet reaching the emulated internet.
func (w *walker) wanIn(_ Position, pkt Packet) (Position, Packet) {
	ns, err := nsutil.Open(labs.WANNetns(w.st.Lab))
	if err != nil {
		return w.unreadable("wan", err), pkt
	}
	defer ns.Close()
	_, link := labs.WANLinks()
	hop := Hop{Node: "wan", Kind: KindIface, Object: link}
	li, err := ns.LinkState(link)
	switch {
	case err != nil:
		return w.broken(hop, "the emulated internet has no "+link, w.upAgain("rebuilds it")), pkt
	case !li.Up:
		return w.broken(hop, "the emulated internet's "+link+" is down", &Fix{Text: "bring it up", On: "wan", Commands: []string{"ip link set " + link + " up"}}), pkt
	case li.MTU < pkt.Size:
		return w.broken(hop, fmt.Sprintf("the emulated internet's %s has MTU %d < %d", link, li.MTU, pkt.Size), w.underlayMTUFix("wan", link, pkt.Size)), pkt
	}
	hop.Fact = fmt.Sprintf("up, mtu %d", li.MTU)
	w.add(hop)
	if rh, err := ns.RouteGet(pkt.Dst, netip.Addr{}, ""); err != nil || !rh.Local {
		return w.broken(Hop{Node: "wan", Kind: KindDeliver, Object: link}, fmt.Sprintf("nothing on the emulated internet holds %s (it is %s)", pkt.Dst, w.t.WANAddr()), nil), pkt
	}
	w.add(Hop{Node: "wan", Kind: KindDeliver, Object: link, Fact: fmt.Sprintf("%s is the emulated internet", pkt.Dst)})
	return Position{Kind: posDone, Node: "wan"}, pkt
}

// wanOut is the emulated internet answering: its route back, to the
// router.
func (w *walker) wanOut(_ Position, pkt Packet) (Position, Packet) {
	ns, err := nsutil.Open(labs.WANNetns(w.st.Lab))
	if err != nil {
		return w.unreadable("wan", err), pkt
	}
	defer ns.Close()
	hop := Hop{Node: "wan", Kind: KindRoute, Object: "wan0"}
	rh, err := ns.RouteGet(pkt.Dst, netip.Addr{}, "")
	if err != nil {
		return w.broken(hop, fmt.Sprintf("the emulated internet has no route to %s: %v", pkt.Dst, err), w.upAgain("rebuilds it")), pkt
	}
	hop.Fact = routeWord(pkt.Dst, rh)
	w.add(hop)
	return Position{Kind: posWire, FromHost: "wan", To: pkt.Dst}, pkt
}

// readRouterChains reads the router's filter FORWARD (and what it jumps
// to) once: the way out and the way back both cross it.
func (w *walker) readRouterChains(table, chain string) (map[nat.ChainRef]*nat.Chain, error) {
	k := nat.ChainRef{Table: table, Chain: chain}
	if _, ok := w.routerChains[k]; !ok {
		got, err := nat.ReadChains(labs.RouterNetns(w.st.Lab), k)
		if err != nil {
			return nil, err
		}
		if w.routerChains == nil {
			w.routerChains = map[nat.ChainRef]*nat.Chain{}
		}
		for ck, c := range got {
			w.routerChains[ck] = c
		}
		if _, ok := got[k]; !ok {
			w.routerChains[k] = nil
		}
	}
	return w.routerChains, nil
}
