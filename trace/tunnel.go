package trace

import (
	"fmt"
	"strings"

	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

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
