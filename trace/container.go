package trace

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/labs"
)

// containerNS opens the running container's netns; nil and a hop-ready
// cause when it is not running.
func (w *walker) containerNS(node string) (*nsutil.NS, string) {
	r, ok := w.running[node]
	if !ok {
		got, err := labs.Containers(w.ctx, w.src, node)
		if err != nil {
			return nil, err.Error()
		}
		r = got[node]
		w.running[node] = r
	}
	if r.State != "running" || r.PID <= 0 {
		return nil, fmt.Sprintf("%s is not running (%s)", node, r.State)
	}
	ns, err := nsutil.Open(fmt.Sprintf("/proc/%d/ns/net", r.PID))
	if err != nil {
		return nil, fmt.Sprintf("%s: %v", node, err)
	}
	return ns, ""
}

// prefetch asks Docker, in one connection, for the ends of the path that
// are containers on this machine's hosts.
func (w *walker) prefetch(from string, dst netip.Addr) {
	var nodes []string
	if c, ok := w.t.ContainerByName(from); ok && w.here(c.Host) {
		nodes = append(nodes, from)
	}
	if s := w.stationOf(dst); s != nil && s.kind == stContainer && w.here(s.host) && s.node != from {
		nodes = append(nodes, s.node)
	}
	if got, err := labs.Containers(w.ctx, w.src, nodes...); err == nil {
		maps.Copy(w.running, got)
	}
}

// upAgain is the fix for what only ovslab up rebuilds.
func (w *walker) upAgain(what string) *Fix {
	return &Fix{Text: fmt.Sprintf("run ovslab up again with the lab's file (%s): it %s", w.st.Source, what)}
}

// withRoute adds, to commands that touch s's interface in its container,
// putting back the default route the kernel drops with the interface's
// address or link.
func withRoute(s *station, cmds ...string) []string {
	if s.defGW.IsValid() {
		cmds = append(cmds, fmt.Sprintf("ip route replace default via %s dev %s", s.defGW, s.iface))
	}
	return cmds
}

// send is a container sending pkt: its interface, address, route and
// neighbour entry, then the host end of its veth.
func (w *walker) send(p Position, pkt Packet) (Position, Packet) {
	c, ok := w.t.ContainerByName(p.Node)
	s := w.senderStation(p.Node, pkt.Dst)
	if !ok || s == nil {
		return w.broken(Hop{Node: p.Node, Kind: KindIface, Object: p.Node}, p.Node+" is not a container of the lab with an interface", nil), pkt
	}
	v := w.host(c.Host)
	if v.err != nil {
		return w.unreadable(c.Host, v.err), pkt
	}
	ns, why := w.containerNS(c.Name)
	if ns == nil {
		return w.broken(Hop{Node: c.Name, Kind: KindIface, Object: c.Name}, why, w.upAgain("starts "+c.Name+" and plugs its interfaces back in")), pkt
	}
	defer ns.Close()
	hop := Hop{Node: c.Name, Kind: KindIface, Object: s.iface}
	li, err := ns.LinkState(s.iface)
	if err != nil {
		return w.broken(hop, fmt.Sprintf("%s has no interface %s", c.Name, s.iface), w.upAgain("plugs it back in")), pkt
	}
	if !li.Up {
		return w.broken(hop, fmt.Sprintf("%s's %s is down", c.Name, s.iface),
			&Fix{Text: "bring it up, and its default route back", On: c.Name, Commands: withRoute(s, "ip link set "+s.iface+" up")}), pkt
	}
	addrs, _ := ns.Addrs(s.iface)
	if !slices.Contains(addrs, s.addr) {
		return w.brokenAddress(c.Name, s, addrs), pkt
	}
	if pkt.Size > li.MTU {
		return w.broken(hop, fmt.Sprintf("a %d-byte packet with Don't Fragment does not fit %s's %s (MTU %d)", pkt.Size, c.Name, s.iface, li.MTU),
			w.mtuFix(c.Name, s.iface, li.MTU, s.mtu, pkt.Size)), pkt
	}
	hop.Fact = fmt.Sprintf("up, mtu %d, %s, mac %s", li.MTU, s.addr, li.MAC)
	w.add(hop)

	rh, ok := w.containerRoute(ns, c.Name, s, pkt)
	if !ok {
		return Position{Kind: posStop}, pkt
	}
	nh := rh.Gw
	if !nh.IsValid() {
		nh = pkt.Dst
	}
	dstMAC, ok := w.neighbour(ns, c.Name, rh.Dev, nh)
	if !ok {
		return Position{Kind: posStop}, pkt
	}
	if !w.hostVeth(v, c.Name, s, pkt.Size) {
		return Position{Kind: posStop}, pkt
	}
	pkt.SrcMAC, pkt.DstMAC, pkt.NH, pkt.VLAN = li.MAC.String(), dstMAC, nh, 0
	return Position{Kind: posPort, Host: c.Host, Iface: s.port}, pkt
}

// brokenAddress is a container interface that lacks the file's address.
func (w *walker) brokenAddress(node string, s *station, have []netip.Prefix) Position {
	var v4 []string
	var cmds []string
	for _, a := range have {
		if a.Addr().Is4() {
			v4 = append(v4, a.String())
			cmds = append(cmds, fmt.Sprintf("ip addr del %s dev %s", a, s.iface))
		}
	}
	cmds = append(cmds, fmt.Sprintf("ip addr add %s dev %s", s.addr, s.iface))
	holds := "no IPv4 address"
	if len(v4) > 0 {
		holds = strings.Join(v4, ", ")
	}
	return w.broken(Hop{Node: node, Kind: KindAddress, Object: s.iface, Fact: "holds " + holds},
		fmt.Sprintf("%s holds %s, not %s as the file says", s.what(), holds, s.addr),
		&Fix{Text: "give it the file's address back, and its default route", On: node, Commands: withRoute(s, cmds...)})
}

// mtuFix is the fix for a packet larger than an interface's MTU: put
// back the file's MTU where it drifted, else send smaller packets or
// raise the file's.
func (w *walker) mtuFix(node, iface string, have, planned, size int) *Fix {
	if have < planned {
		return &Fix{Text: fmt.Sprintf("give %s the file's MTU %d again", iface, planned), On: node,
			Commands: []string{fmt.Sprintf("ip link set %s mtu %d", iface, planned)}}
	}
	return &Fix{Text: fmt.Sprintf("the file gives %s MTU %d: trace with --size %d, or raise the interface's mtu: in the file", iface, planned, have)}
}

// containerRoute checks the route the container picks for pkt against
// the file: on-link on dst's network, else via the network's gateway.
func (w *walker) containerRoute(ns *nsutil.NS, node string, s *station, pkt Packet) (nsutil.RouteHop, bool) {
	hop := Hop{Node: node, Kind: KindRoute, Object: s.iface}
	onLink := s.addr.Masked().Contains(pkt.Dst)
	rh, err := ns.RouteGet(pkt.Dst, netip.Addr{}, "")
	if err != nil {
		switch {
		case onLink:
			w.broken(hop, fmt.Sprintf("%s has no route to %s: %v", node, pkt.Dst, err), w.upAgain("restores its interfaces"))
		case s.defGW.IsValid():
			w.broken(hop, fmt.Sprintf("%s has no route to %s: its default route via %s is gone", node, pkt.Dst, s.defGW),
				&Fix{Text: "put the default route back", On: node, Commands: withRoute(s)})
		default:
			w.broken(hop, fmt.Sprintf("%s has no route to %s: none of its networks has a gateway in the file", node, pkt.Dst),
				&Fix{Text: fmt.Sprintf("give networks.%s a gateway in the file", s.network)})
		}
		return rh, false
	}
	via := "on-link"
	if rh.Gw.IsValid() {
		via = "via " + rh.Gw.String()
	}
	hop.Fact = fmt.Sprintf("%s %s dev %s src %s", pkt.Dst, via, rh.Dev, rh.Src)
	wantGw := netip.Addr{}
	if !onLink {
		wantGw = s.defGW
	}
	if rh.Dev != s.iface || rh.Gw != wantGw || (!onLink && !wantGw.IsValid()) {
		want := "on-link"
		if wantGw.IsValid() {
			want = "via " + wantGw.String()
		}
		cause := fmt.Sprintf("%s sends %s %s dev %s, but the file routes it %s dev %s", node, pkt.Dst, via, rh.Dev, want, s.iface)
		fix := &Fix{Text: "route it as the file does", On: node}
		if m, err := ns.RouteMatch(pkt.Dst); err == nil && m.Bits() > 0 && !m.Contains(s.addr.Addr()) {
			fix.Commands = append(fix.Commands, "ip route del "+m.String())
		}
		if !onLink && wantGw.IsValid() {
			fix.Commands = withRoute(s, fix.Commands...)
		}
		if len(fix.Commands) == 0 {
			fix = w.upAgain("restores its routes")
		}
		w.broken(hop, cause, fix)
		return rh, false
	}
	if rh.Src.IsValid() && rh.Src != s.addr.Addr() {
		hop.Status, hop.Cause = StatusWarn, fmt.Sprintf("the kernel picks source %s, the file gives %s", rh.Src, s.addr.Addr())
	}
	w.add(hop)
	return rh, true
}

// unreadable is a host whose state cannot be read: its daemons or
// namespace are gone, which breaks every path through it.
func (w *walker) unreadable(host string, err error) Position {
	return w.broken(Hop{Node: host, Kind: KindUnseen, Object: host}, err.Error(),
		&Fix{Text: fmt.Sprintf("ovslab status %s shows what is down; ovslab up again repairs it", w.st.Lab)})
}
