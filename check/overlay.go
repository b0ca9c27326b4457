package check

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ovslab/ovslab/draw"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// Overlay returns the lab as built and its last check laid over the
// picture: every result counted on each link, tunnel and host it crossed,
// so a failure shows where it happened. ErrNoCheck when none has run.
func Overlay(lab string) (*labs.Source, *draw.Overlay, error) {
	_, src, err := labs.Load(lab)
	if err != nil {
		return nil, nil, err
	}
	lc, err := LoadLast(lab)
	if err != nil {
		return nil, nil, err
	}
	paths := newPathFinder(src.Topo)
	o := &draw.Overlay{Health: map[string]draw.Health{}}
	failed := 0
	for _, r := range lc.Report.Results {
		what := fmt.Sprintf("%s %s -> %s", r.Kind, r.From, r.To)
		if r.Detail != "" {
			what += ": " + r.Detail
		}
		if !r.OK {
			failed++
		}
		for _, k := range paths.keys(r) {
			h := o.Health[k]
			h.Add(r.OK, what)
			o.Health[k] = h
		}
	}
	o.Caption = fmt.Sprintf("lab %s, check of %s: %d of %d passed", lab, lc.At.Format("2006-01-02 15:04:05 MST"), len(lc.Report.Results)-failed, len(lc.Report.Results))
	return src, o, nil
}

// endpoint is one container interface.
type endpoint struct {
	container, iface, network, host string
}

// pathFinder maps a check result to the parts of the picture its packets
// crossed, from what the topology says about its addresses and names.
type pathFinder struct {
	t        *topology.Topology
	byAddr   map[netip.Addr]endpoint
	gwByAddr map[netip.Addr]topology.Network
	byBridge map[string]topology.Network
	hostByIP map[netip.Addr]string
	hostPort map[netip.Addr]endpoint // a host's own port (host_ports): no container, no iface
}

func newPathFinder(t *topology.Topology) *pathFinder {
	p := &pathFinder{t: t, byAddr: map[netip.Addr]endpoint{}, gwByAddr: map[netip.Addr]topology.Network{},
		byBridge: map[string]topology.Network{}, hostByIP: map[netip.Addr]string{}, hostPort: map[netip.Addr]endpoint{}}
	for _, c := range t.Containers {
		for _, i := range c.Interfaces {
			p.byAddr[i.Address] = endpoint{c.Name, i.Name, i.Network, c.Host}
		}
	}
	for _, n := range t.Networks {
		p.byBridge[n.Bridge] = n
		if n.Gateway != nil {
			p.gwByAddr[n.Gateway.Address] = n
		}
		for _, hp := range n.HostPorts {
			p.hostPort[hp.Address] = endpoint{network: n.Name, host: hp.Host}
		}
	}
	for _, h := range t.Hosts {
		p.hostByIP[h.Underlay.Addr()] = h.Name
	}
	return p
}

func (p *pathFinder) keys(r Result) []string {
	switch r.Kind {
	case KindHost:
		return []string{draw.HostKey(r.From)}
	case KindTunnel:
		// From "host/bridge", To "REMOTE_IP key VNI".
		host, bridge, _ := strings.Cut(r.From, "/")
		n, ok := p.byBridge[bridge]
		ip, err := netip.ParseAddr(strings.Fields(r.To + " ")[0])
		if peer := p.hostByIP[ip]; ok && err == nil && peer != "" {
			return []string{draw.TunnelKey(n.Name, host, peer)}
		}
		return nil
	}
	from, ok := p.firstEndpoint(r.From)
	if !ok {
		return nil
	}
	dst := p.target(r.To)
	if to, ok := p.byAddr[dst]; ok {
		return p.between(from, to)
	}
	if n, ok := p.gwByAddr[dst]; ok {
		return p.toGateway(p.onNetwork(from, n.Name), n)
	}
	if hp, ok := p.hostPort[dst]; ok {
		if a := p.onNetwork(from, hp.network); a.network == hp.network {
			keys := []string{draw.LinkKey(a.container, a.iface), draw.HostPortKey(hp.network, hp.host)}
			if a.host != hp.host {
				keys = append(keys, draw.TunnelKey(hp.network, a.host, hp.host))
			}
			return keys
		}
	}
	// Anything else (the WAN, an address outside the lab) leaves through
	// the gateway of the container's routed network and its host's uplink.
	if n, ok := p.routedNetwork(from.container); ok {
		keys := p.toGateway(p.onNetwork(from, n.Name), n)
		return append(keys, draw.UplinkKey(n.Gateway.Host))
	}
	return []string{draw.LinkKey(from.container, from.iface)}
}

// target is the address a result's To names: "NAME (ADDRESS)" as check
// writes it, else a plain address, a container (its first address) or
// CONTAINER.NETWORK. Anything else (wan) is the invalid address: outside
// the lab.
func (p *pathFinder) target(to string) netip.Addr {
	if i := strings.LastIndex(to, "("); i >= 0 {
		to = strings.TrimSuffix(to[i+1:], ")")
	}
	if a, err := netip.ParseAddr(strings.TrimSpace(to)); err == nil {
		return a
	}
	node, network, _ := strings.Cut(strings.TrimSpace(to), ".")
	for _, c := range p.t.Containers {
		if c.Name != node {
			continue
		}
		for _, i := range c.Interfaces {
			if network == "" || i.Network == network {
				return i.Address
			}
		}
	}
	return netip.Addr{}
}

// between is the path from one container interface to another: across
// their shared network, else routed through both networks' gateways.
func (p *pathFinder) between(from, to endpoint) []string {
	a := p.onNetwork(from, to.network)
	if a.network == to.network {
		keys := []string{draw.LinkKey(a.container, a.iface), draw.LinkKey(to.container, to.iface)}
		if a.host != to.host {
			keys = append(keys, draw.TunnelKey(to.network, a.host, to.host))
		}
		return keys
	}
	na, oka := p.network(a.network)
	nb, okb := p.network(to.network)
	if !oka || !okb || na.Gateway == nil || nb.Gateway == nil {
		return []string{draw.LinkKey(a.container, a.iface), draw.LinkKey(to.container, to.iface)}
	}
	keys := p.toGateway(a, na)
	back := p.toGateway(to, nb)
	return append(keys, back...)
}

// toGateway is the path from a container interface to its network's gateway.
func (p *pathFinder) toGateway(e endpoint, n topology.Network) []string {
	keys := []string{draw.LinkKey(e.container, e.iface), draw.GatewayKey(n.Name)}
	if e.host != n.Gateway.Host {
		keys = append(keys, draw.TunnelKey(n.Name, e.host, n.Gateway.Host))
	}
	return keys
}

// onNetwork is the container's interface on network, else e itself.
func (p *pathFinder) onNetwork(e endpoint, network string) endpoint {
	for _, x := range p.byAddr {
		if x.container == e.container && x.network == network {
			return x
		}
	}
	return e
}

func (p *pathFinder) firstEndpoint(container string) (endpoint, bool) {
	for _, c := range p.t.Containers {
		if c.Name == container && len(c.Interfaces) > 0 {
			i := c.Interfaces[0]
			return endpoint{c.Name, i.Name, i.Network, c.Host}, true
		}
	}
	return endpoint{}, false
}

// routedNetwork is the network of the container's default route: the
// first of its interfaces whose network has a gateway.
func (p *pathFinder) routedNetwork(container string) (topology.Network, bool) {
	for _, c := range p.t.Containers {
		if c.Name != container {
			continue
		}
		for _, i := range c.Interfaces {
			if n, ok := p.network(i.Network); ok && n.Gateway != nil {
				return n, true
			}
		}
	}
	return topology.Network{}, false
}

func (p *pathFinder) network(name string) (topology.Network, bool) {
	n, ok := p.t.NetworkByName(name)
	if !ok {
		return topology.Network{}, false
	}
	return *n, true
}
