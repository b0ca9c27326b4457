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

func vlanFact(ps *ovs.PortStatus) string {
	switch {
	case ps.Tag != 0:
		return fmt.Sprintf("tag %d (access port of VLAN %d)", ps.Tag, ps.Tag)
	case len(ps.Trunks) > 0:
		return fmt.Sprintf("untagged, trunks %v", ps.Trunks)
	}
	return "untagged, every VLAN"
}

func tagWord(vlan int) string {
	if vlan == 0 {
		return "none (untagged)"
	}
	return fmt.Sprintf("tag %d", vlan)
}

// tagFix puts a port's tag back to the file's.
func tagFix(host, port string, vlan int) *Fix {
	cmd := "ovs-vsctl clear port " + port + " tag"
	if vlan != 0 {
		cmd = fmt.Sprintf("ovs-vsctl set port %s tag=%d", port, vlan)
	}
	return &Fix{Text: fmt.Sprintf("give %s the file's VLAN (%s)", port, tagWord(vlan)), On: host, Commands: []string{cmd}}
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
		tuns := v.tunnels(w.underlayOf(target.host))
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
	return fmt.Sprintf("the frame goes elsewhere (%s)", orNone(tr.Actions)), w.flushFix(v.name, br)
}

// accepts reports whether NORMAL sends a frame of vlan out of port.
func accepts(p *ovs.PortStatus, vlan int) bool {
	switch {
	case p.Tag != 0:
		return vlan == p.Tag
	case len(p.Trunks) > 0:
		return slices.Contains(p.Trunks, vlan)
	}
	return true
}

// vlanCause names two ports in different VLANs and fixes the one that
// differs from the file.
func (w *walker) vlanCause(host string, target *station, tp *ovs.PortStatus, pkt Packet) (string, *Fix) {
	src := "the sender's"
	var srcStation *station
	if h, port, ok := strings.Cut(pkt.Ingress, "/"); ok {
		srcStation = w.stationAt(h, port)
		if srcStation != nil {
			src = srcStation.node + "'s"
			if srcStation.kind != stContainer {
				src = srcStation.what() + "'s"
			}
		}
	}
	dst := target.node + "'s"
	if target.kind != stContainer {
		dst = target.what() + "'s"
	}
	cause := fmt.Sprintf("%s port has %s, %s has %s: they are in different VLANs", dst, tagWord(tp.Tag), src, tagWord(pkt.VLAN))
	switch {
	case tp.Tag != target.vlan:
		return cause, tagFix(host, target.port, target.vlan)
	case srcStation != nil && pkt.VLAN != srcStation.vlan:
		return cause, tagFix(srcStation.host, srcStation.port, srcStation.vlan)
	}
	return cause, &Fix{Text: "the file puts them in different VLANs: give both interfaces the same vlan: (or none)"}
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

// tunnelOut follows a frame into a VXLAN port: the port, the underlay
// route to its remote, and every NIC it leaves by, against the size of
// the packet in VXLAN.
func (w *walker) tunnelOut(v *hostView, br string, out ovs.TraceOutput, target *station, pkt Packet) (Position, Packet) {
	hop := Hop{Node: v.name, Kind: KindTunnel, Object: br}
	var port *ovs.PortStatus
	for _, t := range v.tunnels(out.Remote) {
		if t.bridge == br && t.port.Options["key"] == fmt.Sprint(out.Key) {
			port = &t.port
		}
	}
	if port != nil {
		hop.Object = br + "/" + port.Name
	}
	peer := w.hostByVTEP(out.Remote)
	hop.Fact = fmt.Sprintf("key %d, remote_ip %s (%s)", out.Key, out.Remote, orNone(peer))
	if peer == "" {
		return w.broken(hop, fmt.Sprintf("%s is no host of the lab", out.Remote), w.upAgain("rebuilds the tunnels")), pkt
	}
	w.add(hop)
	size := pkt.Size + encap(out.VLAN)
	if !w.underlayOut(v, out.Remote, size, pkt.Size, true) {
		return Position{Kind: posStop}, pkt
	}
	pkt.VLAN = out.VLAN
	name := ""
	if port != nil {
		name = port.Name
	}
	return Position{Kind: posWire, FromHost: v.name, To: out.Remote, Tunnel: true, Key: out.Key, Iface: name}, pkt
}

// encap is what VXLAN adds to an inner IP packet: the inner Ethernet
// header, VXLAN, UDP and the outer IPv4 header (50), and an inner 802.1Q
// tag when the frame carries one.
func encap(vlan int) int {
	if vlan != 0 {
		return topology.VXLANOverhead
	}
	return topology.VXLANOverhead - 4
}

// tunnelIn is a VXLAN frame arriving at p.Host from p.From with p.Key:
// the NIC it comes in by, the tunnel port that takes it, then the bridge.
func (w *walker) tunnelIn(p Position, pkt Packet) (Position, Packet) {
	v := w.host(p.Host)
	if v.err != nil {
		return w.unreadable(p.Host, v.err), pkt
	}
	if !w.underlayIn(v, p.From, pkt.Size+encap(pkt.VLAN), pkt.Size) {
		return Position{Kind: posStop}, pkt
	}
	hop := Hop{Node: p.Host, Kind: KindTunnel, Object: p.Host, Fact: fmt.Sprintf("key %d from %s (%s)", p.Key, p.From, orNone(p.FromHost))}
	tuns := v.tunnels(p.From)
	var tun *bridgePort
	for i, t := range tuns {
		if t.port.Options["key"] == fmt.Sprint(p.Key) {
			tun = &tuns[i]
		}
	}
	if tun == nil {
		return w.noTunnel(v, hop, p, pkt, tuns), pkt
	}
	hop.Object = tun.bridge + "/" + tun.port.Name
	if tun.port.Error != "" || tun.port.OFPort <= 0 {
		return w.broken(hop, fmt.Sprintf("ovs-vswitchd has not opened %s: %s", tun.port.Name, orNone(tun.port.Error)), w.upAgain("re-adds it")), pkt
	}
	w.add(hop)
	in := fmt.Sprintf("in_port=%s,tun_id=%#x,tun_src=%s,tun_dst=%s", tun.port.Name, p.Key, p.From, w.underlayOf(p.Host))
	return w.pipeline(v, tun.bridge, in, pkt)
}

// noTunnel is a VXLAN frame no tunnel port of the host takes: a key or
// remote that does not match; the fix goes to whichever end differs
// from the file.
func (w *walker) noTunnel(v *hostView, hop Hop, p Position, pkt Packet, tuns []bridgePort) Position {
	from := p.FromHost
	if len(tuns) == 0 {
		return w.broken(hop, fmt.Sprintf("%s has no tunnel from %s (%s)", p.Host, p.From, orNone(from)), w.upAgain("adds it"))
	}
	target := w.stationOf(pkt.NH)
	if target == nil {
		return w.broken(hop, fmt.Sprintf("%s has no tunnel with key %d to %s", p.Host, p.Key, p.From), nil)
	}
	n, _ := w.t.NetworkByName(target.network)
	hop.Object = n.Bridge + "/" + topology.TunnelPortName(n.Name, n.VNI, from)
	// The keys of the network's own bridge say it best; else every one.
	var keys, all []string
	for _, t := range tuns {
		all = append(all, fmt.Sprintf("%s on %s", t.port.Options["key"], t.bridge))
		if t.bridge == n.Bridge {
			keys = append(keys, t.port.Options["key"])
		}
	}
	if len(keys) == 0 {
		keys = all
	}
	cause := fmt.Sprintf("%s has no tunnel with key %d to %s, it has key %s", p.Host, p.Key, p.From, strings.Join(keys, " and "))
	if p.Key != n.VNI && p.Iface != "" {
		return w.broken(hop, cause+fmt.Sprintf("; %s's tunnel %s sends key %d, but %s's VNI is %d", from, p.Iface, p.Key, n.Name, n.VNI),
			&Fix{Text: "give the sender's tunnel the network's key", On: from, Commands: []string{fmt.Sprintf("ovs-vsctl set interface %s options:key=%d", p.Iface, n.VNI)}})
	}
	want := topology.TunnelPortName(n.Name, n.VNI, from)
	for _, t := range tuns {
		if t.port.Name == want {
			return w.broken(hop, cause, &Fix{Text: fmt.Sprintf("give %s the key of %s (VNI %d)", want, n.Name, n.VNI), On: p.Host,
				Commands: []string{fmt.Sprintf("ovs-vsctl set interface %s options:key=%d", want, n.VNI)}})
		}
	}
	return w.broken(hop, cause, w.upAgain("rebuilds the tunnels"))
}
