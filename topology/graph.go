package topology

import (
	"fmt"
	"strings"
)

// graphNode and graphEdge are the one picture of a lab that DOT and
// Mermaid both draw: hosts as boxes holding bridges and containers, VXLAN
// tunnels between bridges, and the underlay router.
type graphNode struct{ id, label, shape string }
type graphEdge struct{ a, b, label string }
type graphHost struct {
	name, label string
	nodes       []graphNode
}

func (t *Topology) picture() (hosts []graphHost, edges []graphEdge) {
	for _, p := range t.Plans() {
		h := graphHost{name: p.Host, label: fmt.Sprintf("%s %s", p.Host, p.Underlay)}
		up := p.Host + "_underlay"
		h.nodes = append(h.nodes, graphNode{up, fmt.Sprintf("%s MTU %d", p.Underlay.Addr(), p.MTU), "plaintext"})
		edges = append(edges, graphEdge{up, "router", "via " + p.Gateway.String()})
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
				edges = append(edges, graphEdge{gid, bid, g.Port})
			}
			for _, tp := range b.Tunnels {
				if p.Host < tp.RemoteHost {
					edges = append(edges, graphEdge{bid, tp.RemoteHost + "_" + b.Name, fmt.Sprintf("VXLAN %d", tp.Key)})
				}
			}
		}
		for _, c := range p.Containers {
			cid := "c_" + c.Name
			var addrs []string
			for _, i := range c.Interfaces {
				addrs = append(addrs, i.Address.Addr().String())
				edges = append(edges, graphEdge{cid, p.Host + "_" + i.Bridge, i.Name})
			}
			h.nodes = append(h.nodes, graphNode{cid, c.Name + " " + strings.Join(addrs, ", "), "component"})
		}
		hosts = append(hosts, h)
	}
	return hosts, edges
}

func graphID(s string) string { return strings.NewReplacer("-", "_", ".", "_").Replace(s) }

// DOT returns the lab as a Graphviz graph.
func (t *Topology) DOT() string {
	hosts, edges := t.picture()
	var b strings.Builder
	fmt.Fprintf(&b, "graph %q {\n  rankdir=TB;\n  node [fontname=\"Helvetica\"];\n", t.Name)
	fmt.Fprintf(&b, "  router [label=\"router\", shape=diamond];\n")
	for _, h := range hosts {
		fmt.Fprintf(&b, "  subgraph cluster_%s {\n    label=%q;\n", graphID(h.name), h.label)
		for _, n := range h.nodes {
			fmt.Fprintf(&b, "    %s [label=%q, shape=%s];\n", graphID(n.id), n.label, n.shape)
		}
		b.WriteString("  }\n")
	}
	for _, e := range edges {
		style := ""
		if strings.HasPrefix(e.label, "VXLAN") {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s -- %s [label=%q%s];\n", graphID(e.a), graphID(e.b), e.label, style)
	}
	b.WriteString("}\n")
	return b.String()
}

// Mermaid returns the lab as a Mermaid flowchart.
func (t *Topology) Mermaid() string {
	hosts, edges := t.picture()
	var b strings.Builder
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
		fmt.Fprintf(&b, "  %s %s|%s| %s\n", graphID(e.a), arrow, e.label, graphID(e.b))
	}
	return b.String()
}
