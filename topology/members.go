package topology

// Member is one container interface on a network.
type Member struct {
	Container Container
	Iface     Interface
	Index     int // of Iface among the container's interfaces
}

// Members lists the container interfaces on network, in container order.
func (t *Topology) Members(network string) []Member {
	var out []Member
	for _, c := range t.Containers {
		for i, ifc := range c.Interfaces {
			if ifc.Network == network {
				out = append(out, Member{c, ifc, i})
			}
		}
	}
	return out
}
