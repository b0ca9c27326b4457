package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// onForm is one way a fault's on: names its target.
type onForm int

const (
	onHost    onForm = 1 << iota // HOST: its underlay NIC, or the host itself
	onRouter                     // router/HOST: the router's side of HOST's underlay link
	onNode                       // NODE: a container (its first interface)
	onIface                      // NODE:IFACE
	onHostNet                    // HOST/NETWORK: the host's own port on it, or its tunnels
	onTunnel                     // HOST/NETWORK/PEER: one tunnel
	onNetwork                    // NETWORK
)

// faultForms are the forms of on: each kind accepts, and how to say them.
var faultForms = map[string]struct {
	forms onForm
	help  string
}{
	FaultMTU:        {onHost | onRouter, "a host's underlay NIC (HOST) or the router's side of its link (router/HOST)"},
	FaultDown:       {onHost | onNode | onIface | onHostNet | onTunnel, "a container interface (NODE[:IFACE]), a host's port on a network (HOST/NETWORK), a tunnel (HOST/NETWORK/PEER) or a host's underlay (HOST)"},
	FaultKey:        {onHostNet | onTunnel, "a host's tunnels of a network (HOST/NETWORK) or one of them (HOST/NETWORK/PEER)"},
	FaultRemote:     {onHostNet | onTunnel, "a host's tunnel of a network (HOST/NETWORK, or HOST/NETWORK/PEER where it has several)"},
	FaultNATOff:     {onNetwork, "a network whose gateway NATs (NETWORK)"},
	FaultForwardOff: {onHost, "a host that routes for a gateway (HOST)"},
	FaultVLAN:       {onNode | onIface, "a container interface (NODE[:IFACE])"},
	FaultImpair:     {onNode | onIface, "a container interface (NODE[:IFACE])"},
	FaultStop:       {onNode, "a container (NODE)"},
	FaultRoute:      {onNode, "a container (NODE)"},
	FaultAddress:    {onNode | onIface, "a container interface (NODE[:IFACE])"},
	FaultDrop:       {onHost, "the host whose iptables drops the flow (HOST)"},
	FaultFlap:       {onNode | onIface, "a container interface (NODE[:IFACE])"},
}

// validateFaults resolves each fault's target and checks its value
// against the lab, and refuses two faults of one stage on one thing.
func (p *parser) validateFaults(t *Topology, nodes map[string]*node, faults []Fault, at string) {
	owner := map[string]string{} // what a fault changes → the fault's field
	stopped := map[string]string{}
	for i := range faults {
		ft := &faults[i]
		path := index(at, i)
		if ft.Kind == "" || ft.On == "" || p.bad[path+".on"] {
			continue
		}
		target, ok := p.faultOn(t, ft, path+".on")
		if !ok {
			continue
		}
		ft.Target = target
		p.faultValue(t, nodes, ft, path)
		if ft.Kind == FaultStop {
			stopped[target.Node] = path
		}
		for _, what := range faultChanges(t, ft) {
			if first, dup := owner[what]; dup {
				p.errField(path, "%s is already changed by the fault at line %d; give each thing one fault per stage", what, p.at(first).line)
				continue
			}
			owner[what] = path
		}
	}
	for i, ft := range faults {
		path := index(at, i)
		if stop, ok := stopped[ft.Target.Node]; ok && ft.Target.Node != "" && stop != path && !p.bad[path+".on"] {
			p.errField(path+".on", "%s is stopped by the fault at line %d; a stopped container takes no other fault in the same stage", ft.Target.Node, p.at(stop).line)
		}
	}
}

// faultOn resolves on: into a target of a form the kind accepts.
func (p *parser) faultOn(t *Topology, ft *Fault, field string) (FaultTarget, bool) {
	want := faultForms[ft.Kind]
	var tg FaultTarget
	var form onForm
	fail := func(format string, args ...any) (FaultTarget, bool) {
		p.errField(field, format, args...)
		return FaultTarget{}, false
	}
	on := ft.On
	switch {
	case strings.Contains(on, ":"):
		name, iface, _ := strings.Cut(on, ":")
		c, ok := t.ContainerByName(name)
		if !ok {
			return fail("unknown container %q; %s takes %s", name, ft.Kind, want.help)
		}
		it, ok := ifaceOf(c, iface)
		if !ok {
			return fail("%s has no interface %q; it has %s (or name the network)", name, iface, ifaceList(c))
		}
		tg, form = FaultTarget{Host: c.Host, Node: c.Name, Iface: it.Name, Network: it.Network}, onIface
	case strings.Contains(on, "/"):
		parts := strings.Split(on, "/")
		switch {
		case len(parts) == 2 && parts[0] == routerNode:
			if _, ok := t.HostByName(parts[1]); !ok {
				return fail("unknown host %q; the router has a link to each host: %s", parts[1], hostList(t))
			}
			tg, form = FaultTarget{Host: parts[1], Router: true}, onRouter
		case len(parts) == 2 || len(parts) == 3:
			host, network := parts[0], parts[1]
			if _, ok := t.HostByName(host); !ok {
				return fail("unknown host %q; hosts are: %s", host, hostList(t))
			}
			if _, ok := t.NetworkByName(network); !ok {
				return fail("unknown network %q; networks are: %s", network, networkList(t))
			}
			carriers := t.Carriers(network)
			if !slices.Contains(carriers, host) {
				return fail("%s does not carry %s (no container, gateway or host port of it there)", host, network)
			}
			tg, form = FaultTarget{Host: host, Network: network}, onHostNet
			if len(parts) == 3 {
				peer := parts[2]
				switch {
				case peer == host:
					return fail("%s has no tunnel to itself; give the host at the tunnel's other end", host)
				case !slices.Contains(carriers, peer):
					return fail("%s has no tunnel of %s to %q; it has tunnels to %s", host, network, peer, listOr(without(carriers, host), "no host"))
				}
				tg.Peer, form = peer, onTunnel
			}
		default:
			return fail("%q is not HOST/NETWORK, HOST/NETWORK/PEER or router/HOST; %s takes %s", on, ft.Kind, want.help)
		}
	default:
		_, isNet := t.NetworkByName(on)
		switch {
		case isNet && want.forms&onNetwork != 0:
			tg, form = FaultTarget{Network: on}, onNetwork
		case hostNamed(t, on):
			tg, form = FaultTarget{Host: on}, onHost
		case containerNamed(t, on):
			c, _ := t.ContainerByName(on)
			tg, form = FaultTarget{Host: c.Host, Node: on}, onNode
			if len(c.Interfaces) > 0 {
				tg.Iface, tg.Network = c.Interfaces[0].Name, c.Interfaces[0].Network
			}
		case isNet:
			tg, form = FaultTarget{Network: on}, onNetwork
		default:
			return fail("%q is no host, container or network of the lab; %s takes %s", on, ft.Kind, want.help)
		}
	}
	if want.forms&form == 0 {
		return fail("%q is %s; a %s fault acts on %s", on, formName(form), ft.Kind, want.help)
	}
	return tg, true
}

// faultValue checks the fault's value against its target.
func (p *parser) faultValue(t *Topology, nodes map[string]*node, ft *Fault, path string) {
	tg := ft.Target
	switch ft.Kind {
	case FaultMTU:
		if ft.MTU != 0 && ft.MTU == t.Underlay.MTU {
			p.errField(path+".mtu", "mtu %d is the underlay's own (underlay.mtu); %s", ft.MTU, faultNoValue)
		}
	case FaultDown:
		if tg.Network != "" && tg.Peer == "" && tg.Node == "" && !hasOwnPort(t, tg.Host, tg.Network) {
			p.errField(path+".on", "%s has no port of its own on %s (a gateway or host port); a tunnel is %s/%s/PEER", tg.Host, tg.Network, tg.Host, tg.Network)
		}
	case FaultKey, FaultRemote:
		p.tunnelValue(t, ft, path)
	case FaultNATOff:
		if n, _ := t.NetworkByName(tg.Network); n.Gateway == nil || !n.Gateway.NAT {
			p.errField(path+".on", "%s has no NAT to remove (its gateway has no nat: true)", tg.Network)
		}
	case FaultForwardOff:
		if !routes(t, tg.Host) {
			p.errField(path+".on", "%s holds no network's gateway: it forwards nothing, so ip_forward off changes nothing", tg.Host)
		}
	case FaultVLAN:
		if it, ok := targetIface(t, tg); ok && !p.bad[path+".tag"] && it.VLAN == ft.Tag {
			p.errField(path+".tag", "tag %d is already the interface's (%s); %s", ft.Tag, describeTag(it.VLAN), faultNoValue)
		}
	case FaultRoute:
		p.routeValue(t, ft, path+".via")
	case FaultAddress:
		p.addressValue(t, ft, path+".address")
	case FaultDrop:
		p.dropFlow(t, nodes, ft, path)
	}
}

func (p *parser) tunnelValue(t *Topology, ft *Fault, path string) {
	tg := ft.Target
	peers := without(t.Carriers(tg.Network), tg.Host)
	if tg.Peer != "" {
		peers = []string{tg.Peer}
	}
	n, _ := t.NetworkByName(tg.Network)
	switch {
	case len(peers) == 0:
		p.errField(path+".on", "%s is the only host carrying %s: it has no tunnel", tg.Host, tg.Network)
	case ft.Kind == FaultKey && ft.Key != 0 && ft.Key == n.VNI:
		p.errField(path+".key", "key %d is the VNI of %s already; %s", ft.Key, tg.Network, faultNoValue)
	case ft.Kind == FaultRemote && len(peers) > 1:
		p.errField(path+".on", "%s has tunnels of %s to %s: one remote for all would make them clash; name one, e.g. %s/%s/%s",
			tg.Host, tg.Network, strings.Join(peers, " and "), tg.Host, tg.Network, peers[0])
	case ft.Kind == FaultRemote && ft.Remote.IsValid():
		self, _ := t.HostByName(tg.Host)
		peer, _ := t.HostByName(peers[0])
		switch ft.Remote {
		case self.Underlay.Addr():
			p.errField(path+".remote", "%s is %s's own underlay address; give a wrong remote, e.g. an address nothing holds", ft.Remote, tg.Host)
		case peer.Underlay.Addr():
			p.errField(path+".remote", "%s is already the remote of the tunnel to %s; %s", ft.Remote, peers[0], faultNoValue)
		}
	}
}

func (p *parser) routeValue(t *Topology, ft *Fault, field string) {
	via := ft.Via
	c, ok := t.ContainerByName(ft.Target.Node)
	if !via.IsValid() || !ok {
		return
	}
	var on *Interface
	for i, it := range c.Interfaces {
		if it.Address == via {
			p.errField(field, "%s is %s's own address; a default route via itself goes nowhere a student can find", via, c.Name)
			return
		}
		if n, ok := t.NetworkByName(it.Network); ok && n.Subnet.Contains(via) && on == nil {
			on = &c.Interfaces[i]
		}
	}
	if on == nil {
		p.errField(field, "%s is on none of %s's networks; the kernel takes a gateway only on a connected subnet", via, c.Name)
		return
	}
	n, _ := t.NetworkByName(on.Network)
	switch {
	case !usable(n.Subnet, via):
		p.errField(field, "%s is the network or broadcast address of %s", via, n.Subnet)
	case defaultGateway(t, c) == via:
		p.errField(field, "%s is %s's default gateway already; %s", via, c.Name, faultNoValue)
	}
}

func (p *parser) addressValue(t *Topology, ft *Fault, field string) {
	it, ok := targetIface(t, ft.Target)
	if !ft.Address.IsValid() || !ok {
		return
	}
	n, _ := t.NetworkByName(it.Network)
	if ft.Address.Bits() == 0 && n.Subnet.IsValid() {
		ft.Address = netip.PrefixFrom(ft.Address.Addr(), n.Subnet.Bits())
	}
	a := ft.Address
	switch {
	case a.Addr() == it.Address && (!n.Subnet.IsValid() || a.Bits() == n.Subnet.Bits()):
		p.errField(field, "%s is the interface's own address; %s", a, faultNoValue)
	case !usable(a.Masked(), a.Addr()):
		p.errField(field, "%s is the network or broadcast address of %s", a.Addr(), a.Masked())
	}
}

// dropFlow resolves from and to as expect: does, and decides which chain
// of the host sees the flow: one that never crosses its IP stack (two
// containers on one network, switched by OVS) cannot be dropped there.
func (p *parser) dropFlow(t *Topology, nodes map[string]*node, ft *Fault, path string) {
	e := Expectation{From: ft.From, To: ft.To, Dst: ft.Dst, Kind: ExpectReach}
	from := p.expectFrom(t, nodes, &e, path+".from")
	p.expectTo(t, nodes, &e, from, path+".to")
	if from == nil || !e.Dst.IsValid() || p.bad[path+".to"] {
		return
	}
	ft.Dst = e.Dst
	host := ft.Target.Host
	flow := fmt.Sprintf("%s -> %s", ft.From, ft.To)
	switch {
	case from.isHost && from.name == host:
		ft.Chain = "OUTPUT"
		return
	case from.isHost:
		p.errField(path+".from", "%s sends from its own namespace, not through %s; drop it in %s", from.name, host, from.name)
		return
	}
	c, _ := t.ContainerByName(from.name)
	if slices.Contains(ownAddrs(t, host), e.Dst) {
		ft.Chain, ft.Src = "INPUT", sourceTo(t, c, e.Dst)
		return
	}
	for _, it := range c.Interfaces {
		if n, ok := t.NetworkByName(it.Network); ok && n.Subnet.Contains(e.Dst) {
			p.errField(path+".to", "%s stays on %s, switched by OVS: it never crosses %s's iptables; drop a flow %s routes (to another network or wan), or one to %s's own address",
				flow, it.Network, host, host, host)
			return
		}
	}
	gwIface, ok := defaultIface(t, c)
	if !ok {
		p.errField(path+".from", "%s has no default route: its packets to %s never leave its networks", c.Name, e.Dst)
		return
	}
	n, _ := t.NetworkByName(gwIface.Network)
	if n.Gateway.Host != host {
		p.errField(path, "%s is routed by %s (the gateway of %s), not by %s; drop it there", flow, n.Gateway.Host, n.Name, host)
		return
	}
	ft.Chain, ft.Src = "FORWARD", gwIface.Address
}

// faultChanges names what the fault changes, so that two faults of one
// stage on the same thing are refused: a key or remote fault on
// HOST/NETWORK changes each of the host's tunnels of the network.
func faultChanges(t *Topology, ft *Fault) []string {
	tg := ft.Target
	link := func() string {
		switch {
		case tg.Node != "":
			return fmt.Sprintf("the link of %s:%s", tg.Node, tg.Iface)
		case tg.Peer != "":
			return fmt.Sprintf("the tunnel %s/%s/%s", tg.Host, tg.Network, tg.Peer)
		case tg.Network != "":
			return fmt.Sprintf("the port of %s on %s", tg.Host, tg.Network)
		}
		return fmt.Sprintf("the underlay link of %s", tg.Host)
	}
	switch ft.Kind {
	case FaultMTU:
		if tg.Router {
			return []string{"the MTU of router/" + tg.Host}
		}
		return []string{"the underlay MTU of " + tg.Host}
	case FaultDown, FaultFlap:
		return []string{link()}
	case FaultKey, FaultRemote:
		peers := []string{tg.Peer}
		if tg.Peer == "" {
			peers = without(t.Carriers(tg.Network), tg.Host)
		}
		var out []string
		for _, peer := range peers {
			out = append(out, fmt.Sprintf("the %s of the tunnel %s/%s/%s", ft.Kind, tg.Host, tg.Network, peer))
		}
		return out
	case FaultNATOff:
		return []string{"the NAT of " + tg.Network}
	case FaultForwardOff:
		return []string{"ip_forward of " + tg.Host}
	case FaultVLAN, FaultImpair, FaultAddress:
		return []string{fmt.Sprintf("the %s of %s:%s", ft.Kind, tg.Node, tg.Iface)}
	case FaultRoute:
		return []string{"the default route of " + tg.Node}
	case FaultStop:
		return []string{"the state of " + tg.Node}
	case FaultDrop:
		return []string{fmt.Sprintf("the drop of %s -> %s in %s", ft.From, ft.To, tg.Host)}
	}
	return nil
}

// ifaceOf finds a container's interface by name (eth1) or network.
func ifaceOf(c *Container, name string) (Interface, bool) {
	for _, it := range c.Interfaces {
		if it.Name == name || it.Network == name {
			return it, true
		}
	}
	return Interface{}, false
}

func targetIface(t *Topology, tg FaultTarget) (Interface, bool) {
	c, ok := t.ContainerByName(tg.Node)
	if !ok {
		return Interface{}, false
	}
	return ifaceOf(c, tg.Iface)
}

func ifaceList(c *Container) string {
	var out []string
	for _, it := range c.Interfaces {
		out = append(out, it.Name+" ("+it.Network+")")
	}
	return listOr(out, "none")
}

func formName(f onForm) string {
	switch f {
	case onHost:
		return "a host"
	case onRouter:
		return "the router's side of a host's link"
	case onNode:
		return "a container"
	case onIface:
		return "a container interface"
	case onHostNet:
		return "a host's part of a network"
	case onTunnel:
		return "a tunnel"
	}
	return "a network"
}

func hostNamed(t *Topology, name string) bool { _, ok := t.HostByName(name); return ok }

func containerNamed(t *Topology, name string) bool { _, ok := t.ContainerByName(name); return ok }

// hasOwnPort reports whether host holds network's gateway or a host port.
func hasOwnPort(t *Topology, host, network string) bool {
	n, ok := t.NetworkByName(network)
	if !ok {
		return false
	}
	if n.Gateway != nil && n.Gateway.Host == host {
		return true
	}
	return slices.ContainsFunc(n.HostPorts, func(hp HostPort) bool { return hp.Host == host })
}

// routes reports whether host holds any network's gateway.
func routes(t *Topology, host string) bool {
	return slices.ContainsFunc(t.Networks, func(n Network) bool { return n.Gateway != nil && n.Gateway.Host == host })
}

// ownAddrs are the addresses host holds on lab networks: its gateways
// and host ports.
func ownAddrs(t *Topology, host string) []netip.Addr {
	var out []netip.Addr
	for _, n := range t.Networks {
		if n.Gateway != nil && n.Gateway.Host == host {
			out = append(out, n.Gateway.Address)
		}
		for _, hp := range n.HostPorts {
			if hp.Host == host {
				out = append(out, hp.Address)
			}
		}
	}
	return out
}

// defaultIface is the interface holding c's default route: the first
// untagged one whose network has a gateway, as the plan makes it.
func defaultIface(t *Topology, c *Container) (Interface, bool) {
	for _, it := range c.Interfaces {
		if n, ok := t.NetworkByName(it.Network); ok && n.Gateway != nil && it.VLAN == 0 {
			return it, true
		}
	}
	return Interface{}, false
}

// defaultGateway is c's default gateway, or invalid.
func defaultGateway(t *Topology, c *Container) netip.Addr {
	if it, ok := defaultIface(t, c); ok {
		n, _ := t.NetworkByName(it.Network)
		return n.Gateway.Address
	}
	return netip.Addr{}
}

// sourceTo is the address c sends from to reach dst: its interface on
// dst's subnet, else the one holding its default route.
func sourceTo(t *Topology, c *Container, dst netip.Addr) netip.Addr {
	for _, it := range c.Interfaces {
		if n, ok := t.NetworkByName(it.Network); ok && n.Subnet.Contains(dst) {
			return it.Address
		}
	}
	if it, ok := defaultIface(t, c); ok {
		return it.Address
	}
	return c.Interfaces[0].Address
}

func describeTag(vlan int) string {
	if vlan == 0 {
		return "untagged"
	}
	return fmt.Sprintf("VLAN %d", vlan)
}

func without(list []string, x string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return s == x })
}

func listOr(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(list, ", ")
}
