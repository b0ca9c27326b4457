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

// validateExpect resolves every expectation's from and to against the
// lab's nodes: the address each probe goes to is decided here, once, so
// `check` only sends packets.
func (p *parser) validateExpect(t *Topology) {
	if len(t.Expect) == 0 {
		return
	}
	byName := make(map[string]*Container, len(t.Containers))
	for i := range t.Containers {
		byName[t.Containers[i].Name] = &t.Containers[i]
	}
	for i := range t.Expect {
		e := &t.Expect[i]
		path := index("expect", i)
		from := p.expectFrom(t, byName, e, path+".from")
		p.expectTo(t, byName, e, from, path+".to")
	}
}

// expectFrom returns the container that sends e's probes, or nil after
// reporting why there is none.
func (p *parser) expectFrom(t *Topology, byName map[string]*Container, e *Expectation, field string) *Container {
	if e.From == "" || p.bad[field] {
		return nil
	}
	if c, ok := byName[e.From]; ok {
		return c
	}
	switch _, isHost := t.HostByName(e.From); {
	case e.From == wanNode || e.From == routerNode:
		p.errField(field, "the emulated %s sends no probes; from takes a container: %s", e.From, containerList(t))
	case isHost:
		// A host sends probes only from a host port on one of its networks;
		// until a host can have one, from takes containers alone.
		p.errField(field, "%s is a host, and a host has no address on a lab network to send from; from takes a container: %s", e.From, containerList(t))
	default:
		p.errField(field, "unknown container %q; from takes a container: %s", e.From, containerList(t))
	}
	return nil
}

// expectTo sets e.Dst: a container's address on the first network it
// shares with from (else its first address), NODE.NETWORK's address, an
// address as written, or the emulated internet's.
func (p *parser) expectTo(t *Topology, byName map[string]*Container, e *Expectation, from *Container, field string) {
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
		if from != nil && slices.ContainsFunc(from.Interfaces, func(it Interface) bool { return it.Address == e.Dst }) {
			p.errField(field, "%s is an address of %s itself; a container always reaches itself", e.Dst, from.Name)
		}
		return
	case looksLikeAddr(e.To):
		return // a bad address, already reported
	}
	node, network, dotted := strings.Cut(e.To, ".")
	c, ok := byName[node]
	if !ok {
		what := fmt.Sprintf("unknown node %q", node)
		switch _, isHost := t.HostByName(node); {
		case isHost:
			what = fmt.Sprintf("%s is a host, with no address on a lab network", node)
		case node == routerNode:
			what = "the emulated router is not a target"
		}
		p.errField(field, "%s; to takes a container, CONTAINER.NETWORK, an IPv4 address or wan", what)
		return
	}
	if from != nil && c.Name == from.Name {
		p.errField(field, "from and to are both %s; a container always reaches itself", c.Name)
		return
	}
	if !dotted {
		e.Dst = sharedAddress(from, c)
		return
	}
	if _, ok := t.NetworkByName(network); !ok {
		p.errField(field, "unknown network %q; networks are: %s", network, networkList(t))
		return
	}
	for _, it := range c.Interfaces {
		if it.Network == network {
			e.Dst = it.Address
			return
		}
	}
	p.errField(field, "%s has no interface on %s; it is on %s", c.Name, network, strings.Join(networksOf(c), ", "))
}

// sharedAddress is to's address on the first of from's networks that to
// is on too, else to's first address: the address from reaches without a
// router when there is one.
func sharedAddress(from, to *Container) netip.Addr {
	if from != nil {
		for _, a := range from.Interfaces {
			for _, b := range to.Interfaces {
				if a.Network == b.Network {
					return b.Address
				}
			}
		}
	}
	if len(to.Interfaces) == 0 {
		return netip.Addr{}
	}
	return to.Interfaces[0].Address
}

func networksOf(c *Container) []string {
	var out []string
	for _, it := range c.Interfaces {
		out = append(out, it.Network)
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
