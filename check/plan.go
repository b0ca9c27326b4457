package check

import (
	"maps"
	"net/netip"
	"slices"

	"github.com/ovslab/ovslab/topology"
)

// vlanSegments splits a network's members by VLAN, untagged first, each in
// member order.
func vlanSegments(members []topology.Member) [][]topology.Member {
	byTag := map[int][]topology.Member{}
	for _, m := range members {
		byTag[m.Iface.VLAN] = append(byTag[m.Iface.VLAN], m)
	}
	out := make([][]topology.Member, 0, len(byTag))
	for _, tag := range slices.Sorted(maps.Keys(byTag)) {
		out = append(out, byTag[tag])
	}
	return out
}

type hostPortProbe struct {
	from topology.Member
	to   topology.HostPort
}

// hostPortProbes pings the network's host ports from one VLAN segment's
// members: from all of them with full, else each host port from one
// member, round-robin, so the count stays linear. Host ports are
// untagged, so a tagged segment has none to reach.
func hostPortProbes(n topology.Network, members []topology.Member, full bool) []hostPortProbe {
	if len(members) == 0 || members[0].Iface.VLAN != 0 {
		return nil
	}
	var out []hostPortProbe
	for k, hp := range n.HostPorts {
		for i, a := range members {
			if full || i == k%len(members) {
				out = append(out, hostPortProbe{a, hp})
			}
		}
	}
	return out
}

// pathMTU is the largest IP packet both ends of a path send and take.
func pathMTU(a, b topology.Member) int {
	return min(orDefault(a.Iface.MTU), orDefault(b.Iface.MTU))
}

func orDefault(mtu int) int {
	if mtu == 0 {
		return topology.ContainerMTU
	}
	return mtu
}

// probePath is the trace of a probe from a to b (a container, or the
// zero Member for a gateway, host port or the WAN, named by dst): the
// container by name, NODE.NETWORK where it has several interfaces.
func probePath(t *topology.Topology, a, b topology.Member, dst netip.Addr, kind string, size int) *Path {
	to := dst.String()
	switch {
	case kind == KindNAT:
		to = "wan"
	case b.Container.Name != "" && len(b.Container.Interfaces) > 1:
		to = b.Container.Name + "." + b.Iface.Network
	case b.Container.Name != "":
		to = b.Container.Name
	}
	return &Path{From: a.Container.Name, To: to, Size: size + ipICMPHeaders}
}
