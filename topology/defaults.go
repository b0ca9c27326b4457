package topology

import (
	"cmp"
	"slices"
)

// defaults fills in what the file may leave out (docs/topology.md): datapath, MTU,
// bridge names, gateway addresses, MACs and the emulated WAN.
func (p *parser) defaults(t *Topology) {
	if t.Underlay.MTU == 0 {
		t.Underlay.MTU = DefaultUnderlayMTU
	}
	if !t.Emulation.WAN.IsValid() && !p.bad["emulation.wan"] {
		t.Emulation.WAN = DefaultWAN
	}
	for i := range t.Hosts {
		if t.Hosts[i].Datapath == "" {
			t.Hosts[i].Datapath = DatapathSystem
		}
		sshDefaults(&t.Hosts[i])
	}
	for i := range t.Networks {
		n := &t.Networks[i]
		path := "networks." + n.Name
		if n.Bridge == "" && !p.bad[path+".bridge"] {
			n.Bridge = DefaultBridge(n.Name)
			if len(n.Bridge) > MaxIfname && !p.bad[path] {
				p.errField(path+".bridge", "default bridge name %q is %d bytes, over Linux's %d; set bridge", n.Bridge, len(n.Bridge), MaxIfname)
			}
		}
		if g := n.Gateway; g != nil && !g.Address.IsValid() && n.Subnet.IsValid() && !p.bad[path+".gateway.address"] {
			g.Address = n.Subnet.Addr().Next()
		}
	}
	for i := range t.Containers {
		for j := range t.Containers[i].Interfaces {
			it := &t.Containers[i].Interfaces[j]
			if it.MAC == nil {
				it.MAC = DefaultMAC(it.Address)
			}
		}
	}
}

// ForEmulation adapts t to run emulated on one machine: a host whose
// datapath the file leaves open uses the kernel datapath where this machine
// has the openvswitch module (kernel true), else the userspace (netdev) one,
// which needs no module; an underlay NIC not named in the file is the
// emulated link, eth0.
func (t *Topology) ForEmulation(kernel bool) {
	for i := range t.Hosts {
		if !t.Hosts[i].DatapathSet {
			t.Hosts[i].Datapath = DatapathNetdev
			if kernel {
				t.Hosts[i].Datapath = DatapathSystem
			}
		}
		if t.Hosts[i].Interface == "" {
			t.Hosts[i].Interface = EmulatedInterface
		}
	}
}

// EmulatedInterface is the underlay NIC of an emulated host, unless the file
// names one.
const EmulatedInterface = "eth0"

func (t *Topology) sort() {
	slices.SortFunc(t.Hosts, func(a, b Host) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(t.Networks, func(a, b Network) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortFunc(t.Containers, func(a, b Container) int { return cmp.Compare(a.Name, b.Name) })
}

// HostByName returns the host called name.
func (t *Topology) HostByName(name string) (*Host, bool) {
	for i := range t.Hosts {
		if t.Hosts[i].Name == name {
			return &t.Hosts[i], true
		}
	}
	return nil, false
}

// NetworkByName returns the network called name.
func (t *Topology) NetworkByName(name string) (*Network, bool) {
	for i := range t.Networks {
		if t.Networks[i].Name == name {
			return &t.Networks[i], true
		}
	}
	return nil, false
}

// ContainerByName returns the container called name.
func (t *Topology) ContainerByName(name string) (*Container, bool) {
	for i := range t.Containers {
		if t.Containers[i].Name == name {
			return &t.Containers[i], true
		}
	}
	return nil, false
}

// HostNames lists the hosts' names, sorted.
func (t *Topology) HostNames() []string {
	names := make([]string, len(t.Hosts))
	for i, h := range t.Hosts {
		names[i] = h.Name
	}
	slices.Sort(names)
	return names
}
