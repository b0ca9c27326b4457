package trace

import (
	"net"
	"net/netip"

	"github.com/ovslab/ovslab/topology"
)

// station is what holds an address on a lab network: a container's
// interface, a network's gateway port or a host port. It is where a
// frame addressed to that address must end up.
type station struct {
	node    string // the container, or the host holding the gateway or host port
	host    string // the host it lives on
	network string
	bridge  string
	port    string // its OVS port: the container's host veth, or the internal port
	iface   string // its interface: eth0 in the container, or the internal port
	addr    netip.Prefix
	mac     net.HardwareAddr // planned; nil for an internal port (read from the host)
	vlan    int              // planned OVS tag
	mtu     int
	kind    string // container, gateway or host port
	defGW   netip.Addr
}

// Station kinds.
const (
	stContainer = "container"
	stGateway   = "gateway"
	stHostPort  = "host port"
)

// stationOf finds the station holding addr, nil if none does.
func (w *walker) stationOf(addr netip.Addr) *station {
	for _, s := range w.stations() {
		if s.addr.Addr() == addr {
			return &s
		}
	}
	return nil
}

// stationsOf lists the stations of a node: a container's interfaces, or a
// host's gateway and host ports.
func (w *walker) stationsOf(node string) []station {
	var out []station
	for _, s := range w.stations() {
		if s.node == node {
			out = append(out, s)
		}
	}
	return out
}

func (w *walker) stations() []station {
	if w.allStations != nil {
		return w.allStations
	}
	t := w.t
	var out []station
	for _, c := range t.Containers {
		routed := false
		for i, it := range c.Interfaces {
			n, ok := t.NetworkByName(it.Network)
			if !ok {
				continue
			}
			s := station{node: c.Name, host: c.Host, network: n.Name, bridge: n.Bridge, port: topology.HostVethName(c.Name, i),
				iface: it.Name, addr: netip.PrefixFrom(it.Address, n.Subnet.Bits()), mac: it.MAC, vlan: it.VLAN, mtu: it.MTU, kind: stContainer}
			if s.mtu == 0 {
				s.mtu = topology.ContainerMTU
			}
			if n.Gateway != nil && !routed && it.VLAN == 0 { // as the planner routes
				s.defGW, routed = n.Gateway.Address, true
			}
			out = append(out, s)
		}
	}
	for _, n := range t.Networks {
		if g := n.Gateway; g != nil {
			out = append(out, station{node: g.Host, host: g.Host, network: n.Name, bridge: n.Bridge, port: n.Name, iface: n.Name,
				addr: netip.PrefixFrom(g.Address, n.Subnet.Bits()), mtu: topology.ContainerMTU, kind: stGateway})
		}
		for _, hp := range n.HostPorts {
			out = append(out, station{node: hp.Host, host: hp.Host, network: n.Name, bridge: n.Bridge, port: n.Name, iface: n.Name,
				addr: netip.PrefixFrom(hp.Address, n.Subnet.Bits()), mtu: topology.ContainerMTU, kind: stHostPort})
		}
	}
	w.allStations = out
	return out
}

// what names a station for messages: "doc3's eth0", "host1's gateway net1".
func (s *station) what() string {
	if s.kind == stContainer {
		return s.node + "'s " + s.iface
	}
	return s.host + "'s " + s.kind + " " + s.port
}

// networkRef is a lab network as messages about NAT need it.
type networkRef struct {
	Name    string
	Subnet  netip.Prefix
	Gateway *topology.Gateway
}
