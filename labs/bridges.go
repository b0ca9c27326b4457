package labs

import (
	"slices"
	"sort"
	"strconv"

	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// The host plan as the OVS layer's bridges and ports, VLAN tags included.

// untaggedOnly is Port.trunks for an untagged port that must not carry
// VLANs: OVS treats a port without a tag as a trunk of every VLAN, so a
// container could otherwise reach a tagged tenant by sending tagged frames.
var untaggedOnly = []int{0}

// containerPort is the OVS port of one container interface: an access
// port of its VLAN, or an untagged port limited to untagged frames.
// An impaired veth's qdisc is ovslab's, and OVS is told to leave it. The
// ovs-docker keys let its commands find the port.
func containerPort(container string, i topology.InterfacePlan) ovs.Port {
	p := ovs.Port{
		Name: i.HostVeth, Tag: i.VLAN, KeepQdisc: i.Impair != nil,
		ExternalIDs: ovs.ContainerExternalIDs(container, i.Name),
	}
	if i.VLAN == 0 {
		p.Trunks = untaggedOnly
	}
	return p
}

// addrPort is the internal port holding a gateway's or a host port's
// address; both are untagged.
func addrPort(g *topology.GatewayPort) ovs.Port {
	return ovs.Port{Name: g.Port, Type: "internal", MTU: g.MTU, Trunks: untaggedOnly}
}

// markRecreated flags the ports of host veths that Plumb made anew, so
// OVS re-attaches them (see ovs.Port.Recreated).
func markRecreated(bridges []ovs.Bridge, fresh []string) {
	for _, b := range bridges {
		for i := range b.Ports {
			b.Ports[i].Recreated = slices.Contains(fresh, b.Ports[i].Name)
		}
	}
}

// ovsBridges turns the host plan into the OVS layer's desired bridges.
// br-phy only with the netdev datapath (see topology.PhysBridge); with the kernel's,
// the lab's bridges are all there is, and the underlay MTU is the NIC's
// alone (raiseMTU), as no OVS port carries the encapsulated frames.
func ovsBridges(p *topology.HostPlan, nic string) []ovs.Bridge {
	var out []ovs.Bridge
	if p.Datapath == topology.DatapathNetdev {
		out = append(out, ovs.Bridge{
			Name: topology.PhysBridge, Datapath: p.Datapath, LocalMTU: p.MTU,
			Ports: []ovs.Port{{Name: nic, MTU: p.MTU}},
		})
	}
	for _, b := range p.Bridges {
		br := ovs.Bridge{Name: b.Name, Datapath: p.Datapath}
		for _, g := range []*topology.GatewayPort{b.Gateway, b.HostPort} {
			if g != nil {
				br.Ports = append(br.Ports, addrPort(g))
			}
		}
		for _, t := range b.Tunnels {
			br.Ports = append(br.Ports, ovs.Port{
				Name: t.Port, Type: "vxlan", Protected: true,
				Options: map[string]string{"key": strconv.FormatUint(uint64(t.Key), 10), "remote_ip": t.RemoteIP.String()},
			})
		}
		for _, c := range p.Containers {
			for _, i := range c.Interfaces {
				if i.Bridge == b.Name {
					br.Ports = append(br.Ports, containerPort(c.Name, i))
				}
			}
		}
		sort.Slice(br.Ports, func(i, j int) bool { return br.Ports[i].Name < br.Ports[j].Name })
		out = append(out, br)
	}
	return out
}
