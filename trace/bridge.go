package trace

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// bridge is a frame entering an OVS bridge at port p.Iface: the port,
// then what ofproto/trace says the bridge does with it.
func (w *walker) bridge(p Position, pkt Packet) (Position, Packet) {
	v := w.host(p.Host)
	if v.err != nil {
		return w.unreadable(p.Host, v.err), pkt
	}
	ps, br := v.port(p.Iface)
	hop := Hop{Node: p.Host, Kind: KindPort, Object: p.Iface}
	if ps == nil {
		return w.broken(hop, fmt.Sprintf("%s's OVS has no port %s on the lab's bridges", p.Host, p.Iface), w.upAgain("adds it")), pkt
	}
	hop.Object = br + "/" + p.Iface
	own := w.stationAt(p.Host, p.Iface)
	switch {
	case own != nil && own.bridge != br:
		return w.broken(hop, fmt.Sprintf("%s is on bridge %s, but %s's bridge is %s", p.Iface, br, own.network, own.bridge), w.upAgain("moves it")), pkt
	case ps.Error != "" || ps.OFPort <= 0:
		return w.broken(hop, fmt.Sprintf("ovs-vswitchd has not opened %s (ofport %d): %s", p.Iface, ps.OFPort, orNone(ps.Error)), w.upAgain("re-adds it")), pkt
	}
	hop.Fact = vlanFact(ps)
	if own != nil && ps.Tag != own.vlan {
		hop.Status, hop.Cause = StatusWarn, fmt.Sprintf("%s has tag %d, the file gives %s", p.Iface, ps.Tag, tagWord(own.vlan))
		hop.Fix = tagFix(p.Host, p.Iface, own.vlan)
	}
	w.add(hop)
	pkt.VLAN, pkt.Ingress = ps.Tag, p.Host+"/"+p.Iface
	return w.pipeline(v, br, "in_port="+p.Iface, pkt)
}

// pipeline asks ofproto/trace what bridge br does with the frame, and
// follows the output towards the frame's station.
func (w *walker) pipeline(v *hostView, br, inPort string, pkt Packet) (Position, Packet) {
	target := w.stationOf(pkt.NH)
	hop := Hop{Node: v.name, Kind: KindFlow, Object: br}
	tr, err := ovs.TraceFlow(w.ctx, v.ctl, br, flowSpec(inPort, pkt))
	if err != nil {
		return w.broken(hop, fmt.Sprintf("ofproto/trace on %s: %v", v.name, err), &Fix{Text: fmt.Sprintf("ovslab status %s shows whether ovs-vswitchd of %s runs; ovslab up again restarts it", w.st.Lab, v.name)}), pkt
	}
	out := w.choose(tr.Outputs, target, v.name)
	what := "the frame"
	if target != nil {
		what = "the frame for " + target.what()
	}
	notes := strings.Join(slices.DeleteFunc(slices.Clone(tr.Notes), func(n string) bool {
		// how OVS reaches the underlay: the underlay hops say it in full
		return strings.HasPrefix(n, "tunneling ") || n == "output to native tunnel"
	}), "; ")
	if out == nil {
		hop.Fact = fmt.Sprintf("ofproto/trace: %s; datapath actions %s", orNone(notes), tr.Actions)
		if target != nil && target.kind == stContainer && target.host == v.name {
			if _, gone := w.containerGone(target); gone {
				return Position{Kind: posStop}, pkt
			}
		}
		cause, fix := w.whyDropped(v, br, target, pkt, tr)
		return w.broken(hop, fmt.Sprintf("%s does not send %s towards it: %s", br, what, cause), fix), pkt
	}
	hop.Fact = fmt.Sprintf("ofproto/trace: %s → %s", orNone(notes), outputWord(*out))
	w.add(hop)
	if out.Tunnel {
		return w.tunnelOut(v, br, *out, target, pkt)
	}
	return w.arrive(v, out.Port, target, pkt)
}

// flowSpec is the frame as ofproto/trace takes it.
func flowSpec(inPort string, pkt Packet) string {
	var b strings.Builder
	b.WriteString(inPort)
	if pkt.VLAN != 0 && strings.Contains(inPort, "tun_id") {
		fmt.Fprintf(&b, ",dl_vlan=%d", pkt.VLAN)
	}
	fmt.Fprintf(&b, ",%s,dl_src=%s,dl_dst=%s,nw_src=%s,nw_dst=%s,nw_ttl=64", pkt.Proto, pkt.SrcMAC, pkt.DstMAC, pkt.Src, pkt.Dst)
	switch {
	case pkt.Proto == "icmp" && pkt.Reply:
		b.WriteString(",icmp_type=0")
	case pkt.Proto == "icmp":
		b.WriteString(",icmp_type=8")
	case pkt.Reply:
		fmt.Fprintf(&b, ",tp_src=%d", pkt.Port)
	default:
		fmt.Fprintf(&b, ",tp_dst=%d", pkt.Port)
	}
	return b.String()
}

// choose is the output that leads to target: its own port on this host,
// else the tunnel to its host.
func (w *walker) choose(outs []ovs.TraceOutput, target *station, host string) *ovs.TraceOutput {
	if target == nil {
		return nil
	}
	for i, o := range outs {
		switch {
		case target.host == host && !o.Tunnel && o.Port == target.port:
			return &outs[i]
		case target.host != host && o.Tunnel && o.Remote == w.underlayOf(target.host):
			return &outs[i]
		}
	}
	return nil
}

func outputWord(o ovs.TraceOutput) string {
	s := "output to " + o.Port
	if o.Tunnel {
		s = fmt.Sprintf("tunnel with key %d to %s", o.Key, o.Remote)
	}
	if o.VLAN != 0 {
		s += fmt.Sprintf(" (VLAN %d)", o.VLAN)
	}
	return s
}

// stationAt is the station whose OVS port is port on host, nil if none.
func (w *walker) stationAt(host, port string) *station {
	for _, s := range w.stations() {
		if s.host == host && s.port == port {
			return &s
		}
	}
	return nil
}

// whyDropped explains a frame the bridge did not send towards target.
func (w *walker) whyDropped(v *hostView, br string, target *station, pkt Packet, tr *ovs.Trace) (string, *Fix) {
	if target == nil {
		return "nothing in the lab holds " + pkt.NH.String(), nil
	}
	if target.host != v.name {
		vtep := w.underlayOf(target.host)
		if n, ok := w.t.NetworkByName(target.network); ok {
			name := topology.TunnelPortName(n.Name, n.VNI, target.host)
			ps, pbr := v.port(name)
			switch {
			case ps == nil || pbr != br:
			case ps.Type != "vxlan":
				// How a tunnel is taken down: OVSDB has no admin state for a
				// port, and a VXLAN port is no device to set down.
				return fmt.Sprintf("%s's tunnel %s has type %s, not vxlan: ovs-vswitchd cannot open it (%s)", v.name, name, orNone(ps.Type), orNone(ps.Error)),
					&Fix{Text: fmt.Sprintf("make %s a VXLAN port again", name), On: v.name,
						Commands: []string{fmt.Sprintf("ovs-vsctl set interface %s type=vxlan", name)}}
			case ps.Options["remote_ip"] != vtep.String():
				return fmt.Sprintf("%s's tunnel %s goes to %s, but %s's VTEP is %s", v.name, name, orNone(ps.Options["remote_ip"]), target.host, vtep),
					&Fix{Text: fmt.Sprintf("point %s at %s again", name, target.host), On: v.name,
						Commands: []string{fmt.Sprintf("ovs-vsctl set interface %s options:remote_ip=%s", name, vtep)}}
			}
		}
		tuns := v.tunnels(vtep)
		i := slices.IndexFunc(tuns, func(t bridgePort) bool { return t.bridge == br })
		switch {
		case i < 0:
			return fmt.Sprintf("%s on %s has no tunnel to %s (%s)", br, v.name, target.host, w.underlayOf(target.host)), w.upAgain("adds the tunnel")
		case tuns[i].port.Error != "" || tuns[i].port.OFPort <= 0:
			return fmt.Sprintf("its tunnel %s is not open: %s", tuns[i].port.Name, orNone(tuns[i].port.Error)), w.upAgain("re-adds it")
		}
		return fmt.Sprintf("the frame goes elsewhere (%s)", orNone(tr.Actions)), w.flushFix(v.name, br)
	}
	tp, tbr := v.port(target.port)
	switch {
	case tp == nil:
		return fmt.Sprintf("%s has no port %s for %s", v.name, target.port, target.what()), w.upAgain("adds it")
	case tbr != br:
		return fmt.Sprintf("%s is on %s, not %s", target.port, tbr, br), w.upAgain("moves it")
	case !accepts(tp, pkt.VLAN):
		return w.vlanCause(v.name, target, tp, pkt)
	case tp.Error != "" || tp.OFPort <= 0:
		return fmt.Sprintf("ovs-vswitchd has not opened %s: %s", target.port, orNone(tp.Error)), w.upAgain("re-adds it")
	}
	if li, err := v.ns.LinkState(target.port); err == nil && !li.Up {
		what := target.what()
		if target.kind == stContainer {
			what = fmt.Sprintf("%s, the host end of %s,", target.port, target.what())
		}
		return what + " is down", &Fix{Text: "bring it up", On: v.name, Commands: []string{"ip link set " + target.port + " up"}}
	}
	return fmt.Sprintf("the frame goes elsewhere (%s)", orNone(tr.Actions)), w.flushFix(v.name, br)
}

// flushFix forgets what a bridge learned, for a frame sent the wrong way.
func (w *walker) flushFix(host, br string) *Fix {
	return &Fix{Text: "forget the MAC addresses " + br + " learned", On: host, Commands: []string{"ovs-appctl fdb/flush " + br}}
}

// arrive follows a frame out of the bridge's port to its station.
func (w *walker) arrive(v *hostView, port string, target *station, pkt Packet) (Position, Packet) {
	ps, br := v.port(port)
	hop := Hop{Node: v.name, Kind: KindPort, Object: br + "/" + port}
	if ps != nil {
		hop.Fact = vlanFact(ps)
		if ps.Tag != target.vlan {
			hop.Status, hop.Cause = StatusWarn, fmt.Sprintf("%s has tag %d, the file gives %s", port, ps.Tag, tagWord(target.vlan))
			hop.Fix = tagFix(v.name, port, target.vlan)
		}
	}
	w.add(hop)
	if target.kind == stContainer {
		return w.toContainer(v, target, pkt)
	}
	ih := Hop{Node: v.name, Kind: KindIface, Object: port}
	li, err := v.ns.LinkState(port)
	switch {
	case err != nil:
		return w.broken(ih, fmt.Sprintf("%s has no interface %s for %s", v.name, port, target.what()), w.upAgain("re-adds it")), pkt
	case !li.Up:
		return w.broken(ih, fmt.Sprintf("%s is down", target.what()), &Fix{Text: "bring it up", On: v.name, Commands: []string{"ip link set " + port + " up"}}), pkt
	case pkt.Size > li.MTU:
		return w.broken(ih, fmt.Sprintf("%s has MTU %d: a %d-byte packet is dropped on its way in", target.what(), li.MTU, pkt.Size),
			w.mtuFix(v.name, port, li.MTU, target.mtu, pkt.Size)), pkt
	}
	addrs, _ := v.ns.Addrs(port)
	if !slices.Contains(addrs, target.addr) {
		return w.broken(ih, fmt.Sprintf("%s does not hold %s", target.what(), target.addr), w.upAgain("gives it back its address")), pkt
	}
	ih.Fact = fmt.Sprintf("up, mtu %d, %s", li.MTU, target.addr)
	w.add(ih)
	return Position{Kind: posKernel, Host: v.name, Iface: port}, pkt
}
