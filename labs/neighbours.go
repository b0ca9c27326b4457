package labs

import (
	"net/netip"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// Permanent neighbours (topology/neighbours.go says why): each container
// interface, gateway and host port knows every address of its segment
// without ARP, so no probe or first packet floods the network. With
// neighbours: dynamic the plan lists none, and the same calls remove
// those an earlier up installed.

// bridgesByName indexes the host's bridges, once per host.
func bridgesByName(p *topology.HostPlan) map[string]*topology.BridgePlan {
	out := make(map[string]*topology.BridgePlan, len(p.Bridges))
	for i := range p.Bridges {
		out[p.Bridges[i].Name] = &p.Bridges[i]
	}
	return out
}

// setNeighbours makes b's peers of the interface link at self (a
// gateway or host port) the permanent neighbours of link in ns. The set
// is named in the link's alias, as a container interface's is, so an up
// that finds it there reads no neighbour table.
// The port may have gone down and lost them, unseen: its set's first
// entry is looked up.
func setNeighbours(ns *nsutil.NS, link string, b *topology.BridgePlan, self netip.Prefix, vlan int) error {
	l, err := ns.Link(link)
	if err != nil {
		return err
	}
	want := toNeighbours(b.Peers(self.Addr(), vlan))
	set := nsutil.NeighbourSet{List: func() []nsutil.Neighbour { return want }}
	if len(want) > 0 {
		set.Name = nsutil.NameNeighbours(want)
	}
	what, err := ns.SetNamedNeighbours(l, self.Masked(), set, true)
	if what != "" && ns.Changed != nil {
		ns.Changed(link, what)
	}
	return err
}

// neighSegment is one network's VLAN on a bridge: its links share one set of
// neighbours.
type neighSegment struct {
	bridge string
	vlan   int
}

// neighbourSets names the set of neighbours of each segment the host's
// containers are on, once per segment: naming it per container would
// cost the square of the lab at every up, even one that changes nothing.
// The name covers the whole segment, each link's own address too, so it
// changes whenever what any link on it gets does.
func neighbourSets(p *topology.HostPlan, bridges map[string]*topology.BridgePlan) map[neighSegment]string {
	out := map[neighSegment]string{}
	for _, c := range p.Containers {
		for _, i := range c.Interfaces {
			k := neighSegment{i.Bridge, i.VLAN}
			if _, done := out[k]; done {
				continue
			}
			var all []topology.Neighbour
			if b := bridges[i.Bridge]; b != nil {
				all = b.Segment(i.VLAN)
			}
			out[k] = ""
			if len(all) > 0 {
				out[k] = nsutil.NameNeighbours(toNeighbours(all))
			}
		}
	}
	return out
}

// linkNeighbours are the permanent neighbours of a container interface:
// its segment's set by name, listed only if the interface needs it.
func linkNeighbours(i topology.InterfacePlan, bridges map[string]*topology.BridgePlan, sets map[neighSegment]string) nsutil.NeighbourSet {
	return nsutil.NeighbourSet{
		Name: sets[neighSegment{i.Bridge, i.VLAN}],
		List: func() []nsutil.Neighbour {
			if b := bridges[i.Bridge]; b != nil {
				return toNeighbours(b.Peers(i.Address.Addr(), i.VLAN))
			}
			return nil
		},
	}
}

func toNeighbours(peers []topology.Neighbour) []nsutil.Neighbour {
	out := make([]nsutil.Neighbour, len(peers))
	for i, p := range peers {
		out[i] = nsutil.Neighbour{Addr: p.Address, MAC: p.MAC}
	}
	return out
}

// addrPortNeighbours gives a gateway or host port its fixed MAC (which
// every container's entry for it names) and its permanent neighbours.
func addrPortNeighbours(run hostRun, b *topology.BridgePlan, g *topology.GatewayPort) error {
	if err := run.ns.SetMAC(g.Port, g.MAC()); err != nil {
		return err
	}
	return setNeighbours(run.ns, g.Port, b, g.Address, 0)
}
