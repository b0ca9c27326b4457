package topology

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// ErrUnknownHost is returned by Plan for a host the lab does not define.
var ErrUnknownHost = errors.New("unknown host")

// Plan is what host must hold for the lab: its bridges with gateway and
// tunnel ports, its containers, and its NAT. A network is on a host when the
// host holds the network's gateway or one of its containers has an interface
// on it; its tunnels then go to every other host where it is (a full mesh).
func (t *Topology) Plan(host string) (*HostPlan, error) {
	h, ok := t.HostByName(host)
	if !ok {
		return nil, fmt.Errorf("%w %q in lab %s; hosts are: %s", ErrUnknownHost, host, t.Name, hostList(t))
	}
	return t.plan(h, t.carriers()), nil
}

// Plans returns the plan of every host, sorted by host name.
func (t *Topology) Plans() []*HostPlan {
	carriers := t.carriers()
	plans := make([]*HostPlan, 0, len(t.Hosts))
	for _, name := range t.HostNames() {
		h, _ := t.HostByName(name)
		plans = append(plans, t.plan(h, carriers))
	}
	return plans
}

// Carriers returns the sorted names of the hosts that carry network.
func (t *Topology) Carriers(network string) []string { return t.carriers()[network] }

// carriers maps each network to the sorted names of the hosts carrying it.
func (t *Topology) carriers() map[string][]string {
	set := map[string]map[string]bool{}
	add := func(network, host string) {
		if _, ok := t.HostByName(host); !ok {
			return
		}
		if set[network] == nil {
			set[network] = map[string]bool{}
		}
		set[network][host] = true
	}
	for _, n := range t.Networks {
		if n.Gateway != nil {
			add(n.Name, n.Gateway.Host)
		}
		for _, hp := range n.HostPorts {
			add(n.Name, hp.Host)
		}
	}
	for _, c := range t.Containers {
		for _, it := range c.Interfaces {
			add(it.Network, c.Host)
		}
	}
	out := map[string][]string{}
	for n, hosts := range set {
		for h := range hosts {
			out[n] = append(out[n], h)
		}
		slices.Sort(out[n])
	}
	return out
}

// plan builds h's plan. It tolerates an unvalidated model (unknown
// references are skipped) because validation uses it to find name clashes.
func (t *Topology) plan(h *Host, carriers map[string][]string) *HostPlan {
	hp := &HostPlan{
		Lab:        t.Name,
		Host:       h.Name,
		Underlay:   h.Underlay,
		Gateway:    h.Gateway,
		Interface:  h.Interface,
		Datapath:   h.Datapath,
		MTU:        t.Underlay.MTU,
		Bridges:    []BridgePlan{},
		Containers: []ContainerPlan{},
		NAT:        []NATPlan{},
		Names:      t.nameEntries(),
	}
	for _, n := range t.Networks {
		if slices.Contains(carriers[n.Name], h.Name) {
			hp.Bridges = append(hp.Bridges, t.bridgePlan(h, n, carriers[n.Name]))
		}
		if g := n.Gateway; g != nil && g.Host == h.Name {
			hp.IPForward = true
			if g.NAT {
				hp.NAT = append(hp.NAT, NATPlan{
					Network:     n.Name,
					Subnet:      n.Subnet,
					Exclude:     t.subnets(),
					GatewayPort: n.Name,
				})
			}
		}
	}
	slices.SortFunc(hp.Bridges, func(a, b BridgePlan) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(hp.NAT, func(a, b NATPlan) int { return cmp.Compare(a.Network, b.Network) })
	for _, c := range t.Containers {
		if c.Host == h.Name {
			hp.Containers = append(hp.Containers, t.containerPlan(c))
		}
	}
	slices.SortFunc(hp.Containers, func(a, b ContainerPlan) int { return cmp.Compare(a.Name, b.Name) })
	return hp
}

func (t *Topology) bridgePlan(h *Host, n Network, carriers []string) BridgePlan {
	b := BridgePlan{Name: n.Bridge, Network: n.Name, Subnet: n.Subnet, VNI: n.VNI, Tunnels: []TunnelPort{}, Neighbours: t.networkNeighbours(n)}
	if g := n.Gateway; g != nil && g.Host == h.Name {
		b.Gateway = &GatewayPort{Port: n.Name, Address: netip.PrefixFrom(g.Address, n.Subnet.Bits()), MTU: ContainerMTU}
	}
	for _, hp := range n.HostPorts {
		if hp.Host == h.Name && b.Gateway == nil { // both on one host is an error of the file
			// Named like the network, as a gateway port is: a host holds
			// either one or the other on a network, never both.
			b.HostPort = &GatewayPort{Port: n.Name, Address: netip.PrefixFrom(hp.Address, n.Subnet.Bits()), MTU: ContainerMTU}
		}
	}
	for _, peer := range carriers {
		ph, ok := t.HostByName(peer)
		if peer == h.Name || !ok {
			continue
		}
		b.Tunnels = append(b.Tunnels, TunnelPort{
			Port:       TunnelPortName(n.Name, n.VNI, peer),
			RemoteHost: peer,
			RemoteIP:   ph.Underlay.Addr(),
			Key:        n.VNI,
		})
	}
	return b
}

func (t *Topology) containerPlan(c Container) ContainerPlan {
	cp := ContainerPlan{Name: c.Name, Docker: t.DockerName(c.Name), Image: c.Image, Build: c.Build, Command: c.Command, Interfaces: []InterfacePlan{},
		NetAdmin: t.repairedInside(c.Name)}
	routed := false
	for i, it := range c.Interfaces {
		n, ok := t.NetworkByName(it.Network)
		if !ok {
			continue
		}
		ip := InterfacePlan{
			Name:     it.Name,
			Network:  n.Name,
			Bridge:   n.Bridge,
			HostVeth: HostVethName(c.Name, i),
			Address:  netip.PrefixFrom(it.Address, n.Subnet.Bits()),
			MAC:      it.MAC,
			MTU:      it.MTU,
			VLAN:     it.VLAN,
			Impair:   it.Impair,
		}
		if ip.MTU == 0 {
			ip.MTU = ContainerMTU // a model built without Parse
		}
		// A tagged interface cannot reach the gateway, which is untagged.
		if n.Gateway != nil && !routed && it.VLAN == 0 {
			ip.DefaultRoute = n.Gateway.Address
			routed = true
		}
		cp.Interfaces = append(cp.Interfaces, ip)
	}
	return cp
}

// subnets lists every lab subnet, sorted by address.
func (t *Topology) subnets() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range t.Networks {
		if n.Subnet.IsValid() {
			out = append(out, n.Subnet)
		}
	}
	slices.SortFunc(out, func(a, b netip.Prefix) int {
		if c := a.Addr().Compare(b.Addr()); c != 0 {
			return c
		}
		return a.Bits() - b.Bits()
	})
	return out
}

// portName is one name a host's plan puts in its network namespace and OVS
// database, with the file field that owns it.
type portName struct {
	name  string
	field string // "" for names the system reserves
	what  string // "bridge", "gateway port", ...
	of    string // owner, e.g. "networks.net1" or "containers.doc1 eth0"
}

// portNames lists every interface and port name hp creates or relies on, in
// the order of blame: a later name that clashes is the one reported.
func (p *parser) portNames(h *Host, hp *HostPlan) []portName {
	var out []portName
	for _, name := range sortedKeys(reservedIfnames) {
		out = append(out, portName{name: name, what: "reserved name", of: reservedIfnames[name]})
	}
	uplink := h.Interface
	if uplink == "" {
		uplink = EmulatedInterface
	}
	out = append(out, portName{uplink, "hosts." + h.Name + ".interface", "underlay interface", "hosts." + h.Name})
	for _, b := range hp.Bridges {
		out = append(out, portName{b.Name, "networks." + b.Network + ".bridge", "bridge", "networks." + b.Network})
	}
	for _, b := range hp.Bridges {
		if b.Gateway != nil {
			out = append(out, portName{b.Gateway.Port, "networks." + b.Network + ".gateway", "gateway port", "networks." + b.Network})
		}
		if b.HostPort != nil {
			out = append(out, portName{b.HostPort.Port, "networks." + b.Network + ".host_ports." + h.Name, "host port", "networks." + b.Network})
		}
	}
	for _, b := range hp.Bridges {
		for _, tp := range b.Tunnels {
			// Named after the VNI: a VNI used twice is reported as such.
			out = append(out, portName{tp.Port, "networks." + b.Network + ".vni", "VXLAN port", "networks." + b.Network + " to " + tp.RemoteHost})
		}
	}
	for _, c := range hp.Containers {
		for _, it := range c.Interfaces {
			i, _ := strconv.Atoi(strings.TrimPrefix(it.Name, "eth"))
			out = append(out, portName{it.HostVeth, p.ifaceField(c.Name, i), "host veth", "containers." + c.Name + " " + it.Name})
		}
	}
	return out
}

// validatePorts reports names that would clash on a host: OVS port names and
// kernel interface names share one namespace per host.
func (p *parser) validatePorts(t *Topology) {
	carriers := t.carriers()
	for i := range t.Hosts {
		h := &t.Hosts[i]
		hp := t.plan(h, carriers)
		taken := map[string]portName{}
		for _, pn := range p.portNames(h, hp) {
			if pn.name == "" || (pn.field != "" && p.bad[pn.field]) {
				continue
			}
			first, clash := taken[pn.name]
			if !clash {
				taken[pn.name] = pn
				continue
			}
			if first.field == "" {
				p.errField(pn.field, "%s name %q is reserved for %s; rename it", pn.what, pn.name, first.of)
				continue
			}
			p.errField(pn.field, "%s %q of %s on %s clashes with the %s of %s%s; rename one of them",
				pn.what, pn.name, pn.of, h.Name, first.what, first.of, p.lineOf(first.field))
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
