package trace

import (
	"fmt"
	"net/netip"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// vxlanPort is VXLAN's UDP port: what a firewall on the underlay sees.
const vxlanPort = 4789

// sizeWord says what a packet on the wire is: "a 1500-byte packet in
// VXLAN" (1550 bytes) or "a 1500-byte packet".
func sizeWord(inner int, tunnel bool) string {
	if tunnel {
		return fmt.Sprintf("a %d-byte packet in VXLAN", inner)
	}
	return fmt.Sprintf("a %d-byte packet", inner)
}

// underlayRoute is a host's route onto the underlay towards dst.
func (w *walker) underlayRoute(v *hostView, dst netip.Addr, peer string) (nsutil.RouteHop, bool) {
	hop := Hop{Node: v.name, Kind: KindRoute, Object: "underlay"}
	rh, err := v.ns.RouteGet(dst, netip.Addr{}, "")
	if err != nil {
		what := dst.String()
		if peer != "" {
			what += " (" + peer + "'s VTEP)"
		}
		fix := &Fix{Text: fmt.Sprintf("give %s its route via its underlay gateway hosts.%s.gateway", v.name, v.name)}
		if v.place.Emulated {
			dev := topology.PhysBridge
			if v.plan.Datapath != topology.DatapathNetdev {
				dev = v.plan.Interface
			}
			fix.On, fix.Commands = v.name, []string{fmt.Sprintf("ip route replace default via %s dev %s", v.plan.Gateway, dev)}
		}
		w.broken(hop, fmt.Sprintf("%s has no route to %s: %v", v.name, what, err), fix)
		return rh, false
	}
	hop.Fact = routeWord(dst, rh)
	w.add(hop)
	return rh, true
}

func routeWord(dst netip.Addr, rh nsutil.RouteHop) string {
	via := ""
	if rh.Gw.IsValid() {
		via = " via " + rh.Gw.String()
	}
	src := ""
	if rh.Src.IsValid() {
		src = " src " + rh.Src.String()
	}
	return fmt.Sprintf("%s%s dev %s%s", dst, via, rh.Dev, src)
}

// underlayOut checks a tunnel's way out of a host: the route to remote
// and every NIC the VXLAN packet (size bytes, inner inside) leaves by.
func (w *walker) underlayOut(v *hostView, remote netip.Addr, size, inner int, tunnel bool) bool {
	rh, ok := w.underlayRoute(v, remote, w.hostByVTEP(remote))
	if !ok {
		return false
	}
	for _, nic := range v.uplinkNICs(rh.Dev) {
		if !w.linkMTU(v.name, v.ns, nic, size, inner, tunnel, "out") {
			return false
		}
	}
	if v.plan.Datapath != topology.DatapathNetdev {
		// The kernel datapath sends VXLAN from the host's own stack.
		f := flow{src: w.underlayOf(v.name), dst: remote, proto: "udp", dport: vxlanPort, out: rh.Dev}
		if !w.filterPasses(v.name, v.place.Netns, v.chain, "OUTPUT", f, "VXLAN to "+remote.String()) {
			return false
		}
	}
	return true
}

// underlayIn checks the NICs a packet from the underlay (size bytes)
// comes in by, on its way back from from.
func (w *walker) underlayIn(v *hostView, from netip.Addr, size, inner int) bool {
	rh, err := v.ns.RouteGet(from, netip.Addr{}, "")
	if err != nil {
		return true // the way back is traced on its own
	}
	for _, nic := range v.uplinkNICs(rh.Dev) {
		if !w.linkMTU(v.name, v.ns, nic, size, inner, true, "in") {
			return false
		}
	}
	if v.plan.Datapath != topology.DatapathNetdev {
		f := flow{src: from, dst: w.underlayOf(v.name), proto: "udp", dport: vxlanPort, in: rh.Dev}
		if !w.filterPasses(v.name, v.place.Netns, v.chain, "INPUT", f, "VXLAN from "+from.String()) {
			return false
		}
	}
	return true
}

// linkMTU checks one underlay link: there, up, and an MTU that carries
// size bytes.
func (w *walker) linkMTU(node string, ns *nsutil.NS, link string, size, inner int, tunnel bool, dir string) bool {
	hop := Hop{Node: node, Kind: KindLink, Object: link}
	what := fmt.Sprintf("%s's underlay NIC %s", node, link)
	if node == routerNode {
		what = "router link " + link
		if dir == "in" {
			what = fmt.Sprintf("router link %s→router", link)
		} else if link != "wan" {
			what = fmt.Sprintf("router link router→%s", link)
		}
	}
	li, err := ns.LinkState(link)
	switch {
	case err != nil:
		w.broken(hop, what+" is missing", w.upAgain("rebuilds the underlay"))
		return false
	case !li.Up:
		w.broken(hop, what+" is down", &Fix{Text: "bring it up", On: node, Commands: []string{"ip link set " + link + " up"}})
		return false
	case li.MTU < size:
		w.broken(hop, fmt.Sprintf("%s has MTU %d < %d needed for %s", what, li.MTU, size, sizeWord(inner, tunnel)), w.underlayMTUFix(node, link, size))
		return false
	}
	hop.Fact = fmt.Sprintf("up, mtu %d ≥ %d (%s)", li.MTU, size, sizeWord(inner, tunnel))
	w.add(hop)
	return true
}

// underlayMTUFix raises an underlay link's MTU: in the file when
// underlay.mtu is too small, else back to underlay.mtu where it drifted.
func (w *walker) underlayMTUFix(node, link string, need int) *Fix {
	want := w.t.Underlay.MTU
	if want < need {
		return &Fix{Text: fmt.Sprintf("raise underlay.mtu to %d in the file and run ovslab up again", max(need, topology.DefaultUnderlayMTU))}
	}
	if v, ok := w.hosts[node]; ok && v.err == nil {
		if ps, br := v.port(link); ps != nil && br == topology.PhysBridge {
			// OVS puts its own mtu_request back over an ip link set.
			return &Fix{Text: fmt.Sprintf("give %s underlay.mtu %d again", link, want), On: node,
				Commands: []string{fmt.Sprintf("ovs-vsctl set interface %s mtu_request=%d", link, want)}}
		}
	}
	what := link
	if node == routerNode {
		what = "the router's link " + link
	}
	return &Fix{Text: fmt.Sprintf("give %s underlay.mtu %d again", what, want), On: node, Commands: []string{fmt.Sprintf("ip link set %s mtu %d", link, want)}}
}
