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
// gateway or host port) the permanent neighbours of link in ns.
func setNeighbours(ns *nsutil.NS, link string, b *topology.BridgePlan, self netip.Prefix, vlan int) error {
	_, err := ns.SetPermanentNeighbours(link, self.Masked(), toNeighbours(b.Peers(self.Addr(), vlan)))
	return err
}

// linkNeighbours are the permanent neighbours of a container interface.
func linkNeighbours(i topology.InterfacePlan, bridges map[string]*topology.BridgePlan) []nsutil.Neighbour {
	b := bridges[i.Bridge]
	if b == nil {
		return nil
	}
	return toNeighbours(b.Peers(i.Address.Addr(), i.VLAN))
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
func addrPortNeighbours(ns *nsutil.NS, b *topology.BridgePlan, g *topology.GatewayPort) error {
	if err := ns.SetMAC(g.Port, g.MAC()); err != nil {
		return err
	}
	return setNeighbours(ns, g.Port, b, g.Address, 0)
}
