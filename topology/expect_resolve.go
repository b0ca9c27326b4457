package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// looksLikeAddr tells an address in to: from a node name. Node names are
// [a-z0-9-] and cannot hold ':' or '/', so "10.0.1.300" is reported as a bad
// address and "doc1.net1" read as NODE.NETWORK.
func looksLikeAddr(s string) bool {
	if strings.ContainsAny(s, ":/") {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil || strings.Count(s, ".") == 3 && strings.Trim(s, "0123456789.") == ""
}

// node is what an expect: entry names in from and to: a container, or a
// host on the networks it joins through a host port.
type node struct {
	name   string
	host   string // the host it runs on, or is
	isHost bool
	addrs  []netAddr // in interface order
}

type netAddr struct {
	network string
	addr    netip.Addr
}

// expectNodes lists the nodes that send and receive probes. Hosts are not
// among them until they hold an address on a lab network: a host port
// (networks.*.host_ports) adds the host here, with that address.
func expectNodes(t *Topology) map[string]*node {
	nodes := make(map[string]*node, len(t.Containers))
	for _, c := range t.Containers {
		n := &node{name: c.Name, host: c.Host}
		for _, it := range c.Interfaces {
			n.addrs = append(n.addrs, netAddr{it.Network, it.Address})
		}
		nodes[c.Name] = n
	}
	for _, nw := range t.Networks {
		for _, hp := range nw.HostPorts {
			n := nodes[hp.Host]
			if n == nil {
				n = &node{name: hp.Host, host: hp.Host, isHost: true}
				nodes[hp.Host] = n
			}
			n.addrs = append(n.addrs, netAddr{nw.Name, hp.Address})
		}
	}
	return nodes
}

// validateExpect resolves every expectation's from and to against the
// lab's nodes: the address each probe goes to is decided here, once, so
// `check` only sends packets.
func (p *parser) validateExpect(t *Topology) {
	if len(t.Expect) == 0 {
		return
	}
	p.resolveExpect(t, expectNodes(t), t.Expect, "expect")
}

// resolveExpect resolves the expectations of the list at path.
func (p *parser) resolveExpect(t *Topology, nodes map[string]*node, list []Expectation, at string) {
	for i := range list {
		e := &list[i]
		path := index(at, i)
		from := p.expectFrom(t, nodes, e, path+".from")
		p.expectTo(t, nodes, e, from, path+".to")
		if e.FullMTU && from != nil && e.Dst.IsValid() {
			e.MTU = t.fullSize(e.From, e.Dst)
		}
	}
}

// expectFrom returns the node that sends e's probes, or nil after
// reporting why there is none.
func (p *parser) expectFrom(t *Topology, nodes map[string]*node, e *Expectation, field string) *node {
	if e.From == "" || p.bad[field] {
		return nil
	}
	if n, ok := nodes[e.From]; ok {
		e.FromHost = n.isHost
		return n
	}
	switch _, isHost := t.HostByName(e.From); {
	case e.From == wanNode || e.From == routerNode:
		p.errField(field, "the emulated %s sends no probes; from takes a container: %s", e.From, containerList(t))
	case isHost:
		p.errField(field, "%s is a host with no address on a lab network to send from; from takes a container: %s", e.From, containerList(t))
	default:
		p.errField(field, "unknown container %q; from takes a container: %s", e.From, containerList(t))
	}
	return nil
}

// expectTo sets e.Dst: a node's address on the first network it shares
// with from (else its first address), NODE.NETWORK's address, an address
// as written, or the emulated internet's.
func (p *parser) expectTo(t *Topology, nodes map[string]*node, e *Expectation, from *node, field string) {
	if e.To == "" || p.bad[field] {
		return
	}
	switch {
	case e.To == wanNode:
		e.WAN = true
		if t.Emulation.WAN.IsValid() {
			e.Dst = t.WANAddr()
		}
		return
	case e.Dst.IsValid():
		if from != nil && slices.ContainsFunc(from.addrs, func(a netAddr) bool { return a.addr == e.Dst }) {
			p.errField(field, "%s is an address of %s itself; a node always reaches itself", e.Dst, from.name)
		}
		return
	case looksLikeAddr(e.To):
		return // a bad address, already reported
	}
	name, network, dotted := strings.Cut(e.To, ".")
	n, ok := nodes[name]
	if !ok {
		what := fmt.Sprintf("unknown node %q", name)
		switch _, isHost := t.HostByName(name); {
		case isHost:
			what = fmt.Sprintf("%s is a host with no address on a lab network", name)
		case name == routerNode:
			what = "the emulated router is not a target"
		}
		p.errField(field, "%s; to takes a container, CONTAINER.NETWORK, an IPv4 address or wan", what)
		return
	}
	if from != nil && n.name == from.name {
		p.errField(field, "from and to are both %s; a node always reaches itself", n.name)
		return
	}
	if !dotted {
		e.Dst = sharedAddress(from, n)
		return
	}
	if _, ok := t.NetworkByName(network); !ok {
		p.errField(field, "unknown network %q; networks are: %s", network, networkList(t))
		return
	}
	for _, a := range n.addrs {
		if a.network == network {
			e.Dst = a.addr
			return
		}
	}
	p.errField(field, "%s has no interface on %s; it is on %s", n.name, network, strings.Join(networksOf(n), ", "))
}

// sharedAddress is to's address on the first of from's networks that to
// is on too, else to's first address: the address from reaches without a
// router when there is one.
func sharedAddress(from, to *node) netip.Addr {
	if from != nil {
		for _, a := range from.addrs {
			for _, b := range to.addrs {
				if a.network == b.network {
					return b.addr
				}
			}
		}
	}
	if len(to.addrs) == 0 {
		return netip.Addr{}
	}
	return to.addrs[0].addr
}

func networksOf(n *node) []string {
	var out []string
	for _, a := range n.addrs {
		out = append(out, a.network)
	}
	return out
}

// containerList names the lab's containers for an error message, the
// first few of a large lab.
func containerList(t *Topology) string {
	const show = 8
	var names []string
	for _, c := range t.Containers {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	switch {
	case len(names) == 0:
		return "(none)"
	case len(names) > show:
		return fmt.Sprintf("%s and %d more", strings.Join(names[:show], ", "), len(names)-show)
	}
	return strings.Join(names, ", ")
}

// fullSize is the largest packet the path from node from to dst carries
// by the file's own MTUs: from's interface toward dst (on dst's network,
// else its first, where its default route is), dst's own interface when
// it is a lab station, and a gateway's when the path is routed.
func (t *Topology) fullSize(from string, dst netip.Addr) int {
	size, routed := ContainerMTU, true // a host sends through its host port
	if c, ok := t.ContainerByName(from); ok && len(c.Interfaces) > 0 {
		size = c.Interfaces[0].MTU
		for _, it := range c.Interfaces {
			if n, ok := t.NetworkByName(it.Network); ok && n.Subnet.Contains(dst) {
				size, routed = it.MTU, false
				break
			}
		}
	}
	if routed {
		size = min(size, ContainerMTU) // the gateway's port
	}
	for _, c := range t.Containers {
		for _, it := range c.Interfaces {
			if it.Address == dst {
				size = min(size, it.MTU)
			}
		}
	}
	return size
}
