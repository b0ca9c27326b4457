package topology

import "net/netip"

// ControlAddr is an address that node from must reach if its networking
// works at all: the gateway of one of its networks (where its interface
// is untagged, as the gateway is), else another station of one of its
// segments (same network, same VLAN), a container or a host port. It is
// never dst. A reach: false from from is graded against it: silence from
// a node that reaches nothing proves nothing. Invalid when there is none.
func (t *Topology) ControlAddr(from string, dst netip.Addr) netip.Addr {
	type segment struct {
		network string
		vlan    int
	}
	var segs []segment
	if c, ok := t.ContainerByName(from); ok {
		for _, it := range c.Interfaces {
			segs = append(segs, segment{it.Network, it.VLAN})
		}
	} else {
		for _, n := range t.Networks {
			for _, hp := range n.HostPorts {
				if hp.Host == from {
					segs = append(segs, segment{n.Name, 0})
				}
			}
		}
	}
	for _, s := range segs {
		if n, ok := t.NetworkByName(s.network); ok && n.Gateway != nil && n.Gateway.Address != dst && s.vlan == 0 {
			return n.Gateway.Address
		}
	}
	for _, s := range segs {
		for _, o := range t.Containers {
			for _, oi := range o.Interfaces {
				if o.Name != from && oi.Network == s.network && oi.VLAN == s.vlan && oi.Address != dst {
					return oi.Address
				}
			}
		}
		if n, ok := t.NetworkByName(s.network); ok && s.vlan == 0 {
			for _, hp := range n.HostPorts {
				if hp.Host != from && hp.Address != dst {
					return hp.Address
				}
			}
		}
	}
	return netip.Addr{}
}
