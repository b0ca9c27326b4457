package topology

import (
	"encoding/json"
	"net"
	"net/netip"
	"slices"
)

// Neighbours (the top-level key neighbours: static or dynamic).
//
// Every probe and first packet on a lab network starts with an ARP
// request, which the bridges flood to every port of the network on every
// host: with n members, n requests cost n² deliveries, and at a few
// hundred containers the userspace datapath spends check's whole time
// flooding and drops probes. The lab's addresses and MACs are all known
// from the file, so by default up installs them as permanent neighbours
// (containers, gateways, host ports) and nothing needs to ask; dynamic
// leaves ARP to the kernel, for lessons that look at it.

// Neighbours key values.
const (
	NeighboursStatic  = "static"
	NeighboursDynamic = "dynamic"
)

func (p *parser) neighbours(o *object) bool {
	f, ok := o.get("neighbours")
	if !ok {
		return true
	}
	v, ok := p.str(f, "neighbours")
	switch {
	case !ok:
	case v == NeighboursStatic:
		return true
	case v == NeighboursDynamic:
		return false
	default:
		p.errAt(f.val, "neighbours", "%q is not static or dynamic", v)
	}
	return true
}

// Neighbour is one address on a network and the MAC that answers for
// it: a container interface, a gateway or a host port.
type Neighbour struct {
	Address netip.Addr
	MAC     net.HardwareAddr
	VLAN    int    // the segment it is on: 0 = untagged
	Host    string // the host whose bridge it hangs off
}

// MarshalJSON writes MAC as text rather than base64.
func (n Neighbour) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Address netip.Addr `json:"address"`
		MAC     string     `json:"mac"`
		VLAN    int        `json:"vlan,omitempty"`
		Host    string     `json:"host"`
	}{n.Address, n.MAC.String(), n.VLAN, n.Host})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (n *Neighbour) UnmarshalJSON(b []byte) error {
	var v struct {
		Address netip.Addr `json:"address"`
		MAC     string     `json:"mac"`
		VLAN    int        `json:"vlan"`
		Host    string     `json:"host"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	mac, err := net.ParseMAC(v.MAC)
	if err != nil {
		return err
	}
	*n = Neighbour{Address: v.Address, MAC: mac, VLAN: v.VLAN, Host: v.Host}
	return nil
}

// MAC is the port's Ethernet address: fixed from its address, as a
// container's default is, so every host knows it without asking.
func (g *GatewayPort) MAC() net.HardwareAddr { return DefaultMAC(g.Address.Addr()) }

// networkNeighbours lists everything on network n that has an address:
// its containers' interfaces, its gateway and its host ports, by address.
// Nil when the file says neighbours: dynamic.
func (t *Topology) networkNeighbours(n Network) []Neighbour {
	if !t.StaticNeighbours {
		return nil
	}
	var out []Neighbour
	for _, m := range t.Members(n.Name) {
		if m.Iface.Address.IsValid() && m.Iface.MAC != nil {
			out = append(out, Neighbour{Address: m.Iface.Address, MAC: m.Iface.MAC, VLAN: m.Iface.VLAN, Host: m.Container.Host})
		}
	}
	if n.Gateway != nil && n.Gateway.Address.IsValid() {
		out = append(out, Neighbour{Address: n.Gateway.Address, MAC: DefaultMAC(n.Gateway.Address), Host: n.Gateway.Host})
	}
	for _, hp := range n.HostPorts {
		if hp.Address.IsValid() {
			out = append(out, Neighbour{Address: hp.Address, MAC: DefaultMAC(hp.Address), Host: hp.Host})
		}
	}
	slices.SortFunc(out, func(a, b Neighbour) int { return a.Address.Compare(b.Address) })
	return out
}

// Peers are the neighbours an interface at self on VLAN vlan of the
// bridge should know: its own segment's, without itself.
func (b *BridgePlan) Peers(self netip.Addr, vlan int) []Neighbour {
	var out []Neighbour
	for _, nb := range b.Segment(vlan) {
		if nb.Address != self {
			out = append(out, nb)
		}
	}
	return out
}

// Segment is every neighbour on VLAN vlan of the bridge (0 = untagged):
// what each interface there knows, itself included.
func (b *BridgePlan) Segment(vlan int) []Neighbour {
	var out []Neighbour
	for _, nb := range b.Neighbours {
		if nb.VLAN == vlan {
			out = append(out, nb)
		}
	}
	return out
}
