package draw

import (
	"fmt"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// graphNode and graphEdge are the one picture of a lab that DOT, Mermaid
// and SVG all draw: hosts as boxes holding bridges, gateways, host ports
// and containers (a tagged link says its VLAN), VXLAN tunnels between
// bridges, and the underlay router. An edge's key names
// it for a Health overlay (LinkKey, TunnelKey, GatewayKey, UplinkKey).
type graphNode struct{ id, label, shape string }
type graphEdge struct{ a, b, label, key string }
type graphHost struct {
	name, label string
	nodes       []graphNode
}

// LinkKey names a container interface's link to its bridge. The XKey
// functions name the parts of the picture that an Overlay colours.
func LinkKey(container, iface string) string { return "link/" + container + "/" + iface }

// TunnelKey names the tunnel of network between two hosts, in either order.
func TunnelKey(network, a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "tunnel/" + network + "/" + a + "/" + b
}

// GatewayKey names the link between a network's gateway port and its bridge.
func GatewayKey(network string) string { return "gateway/" + network }

// HostPortKey names the link between a host's own port on a network
// (host_ports) and the network's bridge there.
func HostPortKey(network, host string) string { return "hostport/" + network + "/" + host }

// UplinkKey names a host's underlay link to the router.
func UplinkKey(host string) string { return "uplink/" + host }

// HostKey names a host's box.
func HostKey(host string) string { return "host/" + host }

func picture(t *topology.Topology) (hosts []graphHost, edges []graphEdge) {
	for _, p := range t.Plans() {
		h := graphHost{name: p.Host, label: fmt.Sprintf("%s %s", p.Host, p.Underlay)}
		up := p.Host + "_underlay"
		h.nodes = append(h.nodes, graphNode{up, fmt.Sprintf("%s MTU %d", p.Underlay.Addr(), p.MTU), "plaintext"})
		edges = append(edges, graphEdge{up, "router", "via " + p.Gateway.String(), UplinkKey(p.Host)})
		for _, b := range p.Bridges {
			bid := p.Host + "_" + b.Name
			h.nodes = append(h.nodes, graphNode{bid, fmt.Sprintf("%s: %s %s VNI %d", b.Name, b.Network, b.Subnet, b.VNI), "box"})
			if g := b.Gateway; g != nil {
				gid := bid + "_gw"
				label := "gateway " + g.Address.Addr().String()
				for _, n := range p.NAT {
					if n.Network == b.Network {
						label += " NAT"
					}
				}
				h.nodes = append(h.nodes, graphNode{gid, label, "ellipse"})
				edges = append(edges, graphEdge{gid, bid, g.Port, GatewayKey(b.Network)})
			}
			if hp := b.HostPort; hp != nil {
				hid := bid + "_hp"
				h.nodes = append(h.nodes, graphNode{hid, "host port " + hp.Address.Addr().String(), "ellipse"})
				edges = append(edges, graphEdge{hid, bid, hp.Port, HostPortKey(b.Network, p.Host)})
			}
			for _, tp := range b.Tunnels {
				if p.Host < tp.RemoteHost {
					edges = append(edges, graphEdge{bid, tp.RemoteHost + "_" + b.Name, fmt.Sprintf("VXLAN %d", tp.Key), TunnelKey(b.Network, p.Host, tp.RemoteHost)})
				}
			}
		}
		for _, c := range p.Containers {
			cid := "c_" + c.Name
			var addrs []string
			for _, i := range c.Interfaces {
				addrs = append(addrs, i.Address.Addr().String())
				label := i.Name
				if i.VLAN > 0 {
					label += fmt.Sprintf(" VLAN %d", i.VLAN) // an access port: its own segment
				}
				edges = append(edges, graphEdge{cid, p.Host + "_" + i.Bridge, label, LinkKey(c.Name, i.Name)})
			}
			h.nodes = append(h.nodes, graphNode{cid, c.Name + " " + strings.Join(addrs, ", "), "component"})
		}
		hosts = append(hosts, h)
	}
	return hosts, edges
}

func graphID(s string) string { return strings.NewReplacer("-", "_", ".", "_").Replace(s) }

// DOT returns the lab as a Graphviz graph, its links, tunnels and
// hosts coloured by o (nil draws the plain picture).
func DOT(t *topology.Topology, o *Overlay) string {
	hosts, edges := picture(t)
	var b strings.Builder
	fmt.Fprintf(&b, "graph %q {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n", t.Name)
	if o != nil && o.Caption != "" {
		fmt.Fprintf(&b, "  label=%q;\n  labelloc=t;\n", o.Caption)
	}
	fmt.Fprintf(&b, "  router [label=\"router\", shape=diamond];\n")
	for _, h := range hosts {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q;\n", graphID(h.name), h.label)
		if hh, ok := o.health(HostKey(h.name)); ok {
			fmt.Fprintf(&b, "    color=%q;\n    penwidth=2;\n    tooltip=%q;\n", hh.colour(), hh.summary())
		}
		for _, n := range h.nodes {
			fmt.Fprintf(&b, "    %s [label=%q, shape=%s];\n", graphID(n.id), n.label, n.shape)
		}
		b.WriteString("  }\n")
	}
	for _, e := range edges {
		label, extra := e.label, ""
		if o != nil {
			hh, ok := o.health(e.key)
			label += hh.suffix(ok)
			extra = fmt.Sprintf(", color=%q, fontcolor=%q, penwidth=2, tooltip=%q", hh.colour(), hh.colour(), hh.summary())
		}
		attrs := fmt.Sprintf("label=%q", label)
		if strings.HasPrefix(e.label, "VXLAN") {
			attrs += ", style=dashed"
		}
		attrs += extra
		fmt.Fprintf(&b, "  %s -- %s [%s];\n", graphID(e.a), graphID(e.b), attrs)
	}
	b.WriteString("}\n")
	return b.String()
}

// Mermaid returns the lab as a Mermaid flowchart, its links and
// tunnels coloured by o (nil draws the plain picture).
func Mermaid(t *topology.Topology, o *Overlay) string {
	hosts, edges := picture(t)
	var b strings.Builder
	if o != nil && o.Caption != "" {
		fmt.Fprintf(&b, "%%%% %s\n", o.Caption)
	}
	b.WriteString("flowchart TB\n  router{{router}}\n")
	for _, h := range hosts {
		fmt.Fprintf(&b, "  subgraph %s[\"%s\"]\n", graphID(h.name), h.label)
		for _, n := range h.nodes {
			open, cls := "[\"", "\"]"
			if n.shape == "ellipse" {
				open, cls = "([\"", "\"])"
			}
			fmt.Fprintf(&b, "    %s%s%s%s\n", graphID(n.id), open, n.label, cls)
		}
		b.WriteString("  end\n")
	}
	for _, e := range edges {
		arrow := "---"
		if strings.HasPrefix(e.label, "VXLAN") {
			arrow = "-.-"
		}
		label := e.label
		if o != nil {
			hh, ok := o.health(e.key)
			label += hh.suffix(ok)
		}
		fmt.Fprintf(&b, "  %s %s|%s| %s\n", graphID(e.a), arrow, label, graphID(e.b))
	}
	if o != nil {
		// linkStyle counts edges in the order they were written.
		for i, e := range edges {
			hh, _ := o.health(e.key)
			fmt.Fprintf(&b, "  linkStyle %d stroke:%s,stroke-width:2px\n", i, hh.colour())
		}
	}
	return b.String()
}
