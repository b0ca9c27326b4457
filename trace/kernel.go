package trace

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ovslab/ovslab/nat"
)

// kernel is a packet in a host's own IP stack: arrived on p.Iface (an
// internal port, or the uplink), or sent by the host when p.Iface is "".
// It is delivered there, or routed: onto a lab network's bridge through
// an internal port, or out of the uplink, masqueraded.
func (w *walker) kernel(p Position, pkt Packet) (Position, Packet) {
	v := w.host(p.Host)
	if v.err != nil {
		return w.unreadable(p.Host, v.err), pkt
	}
	if pkt.Reply && pkt.NAT != nil && pkt.NAT.Host == p.Host && pkt.Dst == pkt.NAT.To {
		w.add(Hop{Node: p.Host, Kind: KindNAT, Object: "conntrack",
			Fact: fmt.Sprintf("the reply to %s is for %s: conntrack undoes the MASQUERADE", pkt.NAT.To, pkt.NAT.Orig)})
		pkt.Dst = pkt.NAT.Orig
	}
	forwarded := p.Iface != ""
	var src netip.Addr
	if forwarded {
		src = pkt.Src
	}
	rh, err := v.ns.RouteGet(pkt.Dst, src, p.Iface)
	if err != nil {
		if on, _ := nat.IPForward(v.place.Netns); forwarded && !on {
			return w.broken(Hop{Node: p.Host, Kind: KindForward, Object: "ip_forward"},
				fmt.Sprintf("%s does not forward: net.ipv4.ip_forward is 0", p.Host),
				&Fix{Text: "turn forwarding on", On: p.Host, Commands: []string{"sysctl -w net.ipv4.ip_forward=1"}}), pkt
		}
		return w.broken(Hop{Node: p.Host, Kind: KindRoute, Object: p.Host}, fmt.Sprintf("%s has no route to %s: %v", p.Host, pkt.Dst, err), w.upAgain("restores its routes")), pkt
	}
	f := flow{src: pkt.Src, dst: pkt.Dst, proto: pkt.Proto, in: p.Iface, reply: pkt.Reply, icmpReply: pkt.Reply}
	if pkt.Reply {
		f.sport = pkt.Port
	} else {
		f.dport = pkt.Port
	}
	if rh.Local {
		if !w.filterPasses(p.Host, v.place.Netns, v.chain, "INPUT", f, "") {
			return Position{Kind: posStop}, pkt
		}
		what := p.Host + " itself"
		if s := w.stationOf(pkt.Dst); s != nil && s.host == p.Host {
			what = s.what()
		}
		w.add(Hop{Node: p.Host, Kind: KindDeliver, Object: rh.Dev, Fact: fmt.Sprintf("%s is %s", pkt.Dst, what)})
		return Position{Kind: posDone, Node: p.Host, Host: p.Host}, pkt
	}
	chain := "OUTPUT"
	if forwarded {
		chain = "FORWARD"
		w.add(Hop{Node: p.Host, Kind: KindForward, Object: "ip_forward", Fact: fmt.Sprintf("on: %s routes what comes in on %s", p.Host, p.Iface)})
	}
	w.add(Hop{Node: p.Host, Kind: KindRoute, Object: rh.Dev, Fact: routeWord(pkt.Dst, rh)})
	f.out = rh.Dev
	if !w.filterPasses(p.Host, v.place.Netns, v.chain, chain, f, "") {
		return Position{Kind: posStop}, pkt
	}
	if s := w.stationAt(p.Host, rh.Dev); s != nil {
		return w.ontoSegment(v, s, rh.Dev, rh.Gw, pkt)
	}
	if !pkt.Reply {
		// MASQUERADE picks the address the host itself would send from.
		src := rh.Src
		if own, err := v.ns.RouteGet(pkt.Dst, netip.Addr{}, ""); err == nil {
			src = own.Src
		}
		var ok bool
		if pkt, ok = w.masquerade(v, rh.Dev, src, pkt); !ok {
			return Position{Kind: posStop}, pkt
		}
	}
	if !w.linkMTU(p.Host, v.ns, rh.Dev, pkt.Size, pkt.Size, false, "out") {
		return Position{Kind: posStop}, pkt
	}
	for _, nic := range v.uplinkNICs(rh.Dev) {
		if nic != rh.Dev && !w.linkMTU(p.Host, v.ns, nic, pkt.Size, pkt.Size, false, "out") {
			return Position{Kind: posStop}, pkt
		}
	}
	return Position{Kind: posWire, FromHost: p.Host, To: pkt.Dst}, pkt
}

// ontoSegment sends a routed packet out of the host's internal port dev
// (station s) onto its network's bridge, to the next hop.
func (w *walker) ontoSegment(v *hostView, s *station, dev string, gw netip.Addr, pkt Packet) (Position, Packet) {
	hop := Hop{Node: v.name, Kind: KindIface, Object: dev}
	li, err := v.ns.LinkState(dev)
	switch {
	case err != nil:
		return w.broken(hop, fmt.Sprintf("%s has no interface %s", v.name, dev), w.upAgain("re-adds it")), pkt
	case !li.Up:
		return w.broken(hop, s.what()+" is down", &Fix{Text: "bring it up", On: v.name, Commands: []string{"ip link set " + dev + " up"}}), pkt
	case pkt.Size > li.MTU:
		return w.broken(hop, fmt.Sprintf("%s has MTU %d: a %d-byte packet with Don't Fragment does not leave by it", s.what(), li.MTU, pkt.Size),
			w.mtuFix(v.name, dev, li.MTU, s.mtu, pkt.Size)), pkt
	}
	hop.Fact = fmt.Sprintf("up, mtu %d, %s", li.MTU, s.addr)
	w.add(hop)
	nh := gw
	if !nh.IsValid() {
		nh = pkt.Dst
	}
	dstMAC, ok := w.neighbour(v.ns, v.name, dev, nh)
	if !ok {
		return Position{Kind: posStop}, pkt
	}
	pkt.SrcMAC, pkt.DstMAC, pkt.NH, pkt.VLAN = li.MAC.String(), dstMAC, nh, 0
	return Position{Kind: posPort, Host: v.name, Iface: dev}, pkt
}

// masquerade is the nat POSTROUTING a packet leaving by the uplink dev
// meets: a lab address must be masqueraded to src, the uplink's, or
// nothing outside the lab can answer it.
func (w *walker) masquerade(v *hostView, dev string, src netip.Addr, pkt Packet) (Packet, bool) {
	hop := Hop{Node: v.name, Kind: KindNAT, Object: "POSTROUTING"}
	chains, err := v.chain("nat", "POSTROUTING")
	if err != nil {
		hop.Status, hop.Fact = StatusWarn, err.Error()
		w.add(hop)
		return pkt, true
	}
	vd := walkChain(chains, "nat", "POSTROUTING", flow{src: pkt.Src, dst: pkt.Dst, proto: pkt.Proto, dport: pkt.Port, out: dev})
	switch {
	case vd.target == "MASQUERADE" || vd.target == "SNAT":
		hop.Fact = fmt.Sprintf("%s (%s): %s leaves as %s", vd.target, vd.rule, pkt.Src, src)
		w.add(hop)
		pkt.NAT = &NATRecord{Host: v.name, Orig: pkt.Src, To: src}
		pkt.Src = src
		return pkt, true
	case !w.inLab(pkt.Src):
		hop.Fact = fmt.Sprintf("none needed: %s is not a lab address", pkt.Src)
		w.add(hop)
		return pkt, true
	}
	n := w.networkOf(pkt.Src)
	cause := fmt.Sprintf("no MASQUERADE for %s on %s: nothing outside the lab routes %s back", n.Subnet, v.name, pkt.Src)
	if n.Gateway == nil || !n.Gateway.NAT {
		w.broken(hop, cause, &Fix{Text: fmt.Sprintf("set networks.%s.gateway.nat: true in the file and run ovslab up again", n.Name)})
		return pkt, false
	}
	for _, np := range v.plan.NAT {
		if np.Network != n.Name {
			continue
		}
		for _, r := range nat.MasqueradeRules(np.Subnet, np.Exclude, np.GatewayPort) {
			if r.Table == "nat" && nat.Target(r.Spec) == "MASQUERADE" {
				spec := withComment(r.Spec, nat.Comment(w.st.Lab))
				w.broken(hop, cause, &Fix{Text: "put the lab's MASQUERADE back (ovslab up again does too)", On: v.name,
					Commands: []string{"iptables -t nat -A " + r.Chain + " " + strings.Join(spec, " ")}})
				return pkt, false
			}
		}
	}
	w.broken(hop, cause, w.upAgain("restores its NAT"))
	return pkt, false
}

// withComment puts iptables' comment match before the target, where
// iptables prints it.
func withComment(spec []string, comment string) []string {
	out := make([]string, 0, len(spec)+4)
	for i, a := range spec {
		if a == "-j" {
			return append(append(out, "-m", "comment", "--comment", comment), spec[i:]...)
		}
		out = append(out, a)
	}
	return out
}

// networkOf is the lab network holding a.
func (w *walker) networkOf(a netip.Addr) *networkRef {
	for _, n := range w.t.Networks {
		if n.Subnet.Contains(a) {
			return &networkRef{Name: n.Name, Subnet: n.Subnet, Gateway: n.Gateway}
		}
	}
	return &networkRef{Subnet: netip.PrefixFrom(a, 32)}
}

// filterPasses walks f through chain of the filter table in a netns and
// records the verdict: a DROP or REJECT breaks the path, with the
// command that deletes the rule.
func (w *walker) filterPasses(node, netns string, read func(table, chain string) (map[nat.ChainRef]*nat.Chain, error), chain string, f flow, what string) bool {
	hop := Hop{Node: node, Kind: KindFilter, Object: chain}
	chains, err := read("filter", chain)
	if err != nil {
		hop.Status, hop.Fact = StatusWarn, err.Error()
		w.add(hop)
		return true
	}
	c := chains[nat.ChainRef{Table: "filter", Chain: chain}]
	if c == nil || (len(c.Rules) == 0 && c.Policy == "ACCEPT") {
		return true // nothing there: not worth a line
	}
	vd := walkChain(chains, "filter", chain, f)
	subject := fmt.Sprintf("%s %s → %s", f.proto, f.src, f.dst)
	if what != "" {
		subject = what
	}
	if vd.dropped() {
		if vd.rule == "" {
			w.broken(hop, fmt.Sprintf("%s's %s policy is %s and no rule accepts %s", node, chain, vd.target, subject),
				&Fix{Text: "accept it", On: node, Commands: []string{fmt.Sprintf("iptables -I %s -s %s -d %s -j ACCEPT", chain, f.src, f.dst)}})
			return false
		}
		w.broken(hop, fmt.Sprintf("%s's rule %q in %s drops %s", node, vd.rule, vd.chain, subject),
			&Fix{Text: "delete the rule", On: node, Commands: []string{deleteCommand(vd.table, vd.rule)}})
		return false
	}
	hop.Fact = fmt.Sprintf("%s: %s", subject, vd.target)
	if vd.rule != "" {
		hop.Fact += " (" + vd.rule + ")"
	} else {
		hop.Fact += " (policy)"
	}
	if len(vd.unsure) > 0 {
		hop.Status, hop.Cause = StatusWarn, "may drop it: "+strings.Join(vd.unsure, "; ")
	}
	w.add(hop)
	return true
}
