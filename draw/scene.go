package draw

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// The SVG's own model of a lab: hosts side by side, each network a band
// across all of them at the same height, so that a tunnel runs straight
// from one host's bridge to the next one's and the tunnels of different
// networks stay parallel. Under each bridge, in its band, the things
// plugged into it: gateway, host port, containers, each on a short link
// of its own.

type scene struct {
	name    string
	caption string
	checked bool
	nets    []string // the bands, top to bottom
	hosts   []*sHost
	tunnels []*sTunnel
	wan     string // the emulated internet's label; "" when no network is NATed
}

type sHost struct {
	name, title string
	status      string // the host's own check, when it failed
	v           *verdict
	uplink      sEdge
	mtu         string  // the underlay's MTU, said beside the uplink
	buses       []*sBus // by band; nil where the host lacks the network
	rows        [][]*sItem
}

type sBus struct{ label string }

// sItem is a thing plugged into bridges: a gateway or host port (an
// ellipse), a container or a group of containers (a box).
type sItem struct {
	ellipse bool
	lines   []string
	row     int      // the band it is drawn in: its first link's
	links   []*sLink // by band, ascending
}

type sLink struct {
	band int
	sEdge
}

// sEdge is a line's label and how the check went across it.
type sEdge struct {
	label string
	keys  []string // the parts it stands for (several for a group)
	v     *verdict // nil: no check
}

type sTunnel struct {
	band, a, b int // hosts by column, a < b
	sEdge
}

func newScene(t *topology.Topology, o *Overlay) *scene {
	plans := t.Plans()
	verdicts := blame(t, o)
	s := &scene{name: t.Name, caption: "lab " + t.Name, checked: o != nil}
	if o != nil && o.Caption != "" {
		s.caption = o.Caption
	}
	edge := func(label string, keys ...string) sEdge {
		e := sEdge{label: label, keys: keys}
		if o != nil {
			e.v = merge(verdicts, keys)
		}
		return e
	}
	s.nets = bandOrder(t, plans)
	band := map[string]int{}
	for i, n := range s.nets {
		band[n] = i
	}
	col := map[string]int{}
	for i, p := range plans {
		col[p.Host] = i
	}
	for _, n := range t.Networks {
		if n.Gateway != nil && n.Gateway.NAT {
			s.wan = "WAN " + t.WANAddr().String()
		}
	}
	for _, p := range plans {
		h := &sHost{name: p.Host, title: fmt.Sprintf("%s %s", p.Host, p.Underlay),
			buses: make([]*sBus, len(s.nets)), rows: make([][]*sItem, len(s.nets))}
		if o != nil {
			h.v = merge(verdicts, []string{HostKey(p.Host)})
			if len(h.v.blamed) > 0 {
				h.status = "not as planned: " + status(h.v) // the host check: daemons, ports, containers
			}
		}
		h.uplink = edge("via "+p.Gateway.String(), UplinkKey(p.Host))
		h.mtu = fmt.Sprintf("MTU %d", p.MTU)
		var items []*sItem
		for _, b := range p.Bridges {
			bi := band[b.Network]
			h.buses[bi] = &sBus{label: fmt.Sprintf("%s: %s %s VNI %d", b.Name, b.Network, b.Subnet, b.VNI)}
			if g := b.Gateway; g != nil {
				label := "gateway " + g.Address.Addr().String()
				for _, n := range p.NAT {
					if n.Network == b.Network {
						label += " NAT"
					}
				}
				items = append(items, &sItem{ellipse: true, lines: []string{label},
					links: []*sLink{{bi, edge(g.Port, GatewayKey(b.Network))}}})
			}
			if hp := b.HostPort; hp != nil {
				items = append(items, &sItem{ellipse: true, lines: []string{"host port " + hp.Address.Addr().String()},
					links: []*sLink{{bi, edge(hp.Port, HostPortKey(b.Network, p.Host))}}})
			}
			for _, tp := range b.Tunnels {
				if c, ok := col[tp.RemoteHost]; ok && col[p.Host] < c {
					s.tunnels = append(s.tunnels, &sTunnel{band: bi, a: col[p.Host], b: c,
						sEdge: edge(fmt.Sprintf("VXLAN %d", tp.Key), TunnelKey(b.Network, p.Host, tp.RemoteHost))})
				}
			}
		}
		for _, c := range p.Containers {
			items = append(items, containerItem(c, band, verdicts, o != nil))
		}
		for _, it := range items {
			it.row = it.links[0].band
			h.rows[it.row] = append(h.rows[it.row], it)
		}
		for i, row := range h.rows {
			h.rows[i] = compact(row, verdicts, o != nil)
		}
		s.hosts = append(s.hosts, h)
	}
	return s
}

// containerItem is a container: its name and addresses, a link per interface.
func containerItem(c topology.ContainerPlan, band map[string]int, verdicts map[string]*verdict, checked bool) *sItem {
	it := &sItem{}
	var addrs []string
	for _, i := range c.Interfaces {
		addrs = append(addrs, i.Address.Addr().String())
		l := &sLink{band: band[i.Network], sEdge: sEdge{label: linkLabel(i), keys: []string{LinkKey(c.Name, i.Name)}}}
		if checked {
			l.v = merge(verdicts, l.keys)
		}
		it.links = append(it.links, l)
	}
	slices.SortStableFunc(it.links, func(a, b *sLink) int { return a.band - b.band })
	it.lines = []string{c.Name + " " + strings.Join(addrs, ", ")}
	return it
}

// linkLabel names a container's interface, with what its port adds: an
// access VLAN (its own segment), a shaped or impaired link.
func linkLabel(i topology.InterfacePlan) string {
	label := i.Name
	if i.VLAN > 0 {
		label += fmt.Sprintf(" VLAN %d", i.VLAN)
	}
	if i.Impair != nil {
		label += " " + i.Impair.String()
	}
	return label
}

// merge is the verdict of several parts drawn as one line.
func merge(verdicts map[string]*verdict, keys []string) *verdict {
	m := &verdict{}
	for _, k := range keys {
		if v := verdicts[k]; v != nil {
			m.passed += v.passed
			m.blamed = append(m.blamed, v.blamed...)
			m.crossed = append(m.crossed, v.crossed...)
			m.cause = cmp.Or(m.cause, v.cause)
		}
	}
	return m
}
