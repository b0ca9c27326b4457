package topology

import (
	"cmp"
	"net/netip"
	"slices"

	"gopkg.in/yaml.v3"
)

// The keys added to version 1 after the first release: names, host ports,
// and per-interface vlan, mtu and impair. Their parsing and their checks
// live here; the rest of the schema is in schema.go and validate.go.

// HostPort is a host that joins a network itself: an OVS internal port on
// the network's bridge on that host, holding Address.
type HostPort struct {
	Host    string
	Address netip.Addr
}

// Limits of the per-interface keys.
const (
	MinVLAN = 1
	MaxVLAN = 4094 // 0 and 4095 are reserved by 802.1Q
	MinMTU  = 576  // the smallest datagram every IPv4 host must accept
	MaxMTU  = 9000 // a jumbo frame
)

// vlanTagSize is what an 802.1Q tag adds to an inner frame that crosses a
// tunnel: OVS sends a tagged interface's frames into VXLAN with their tag.
const vlanTagSize = 4

// names reads the top-level names: switch, true unless the file says false.
func (p *parser) names(o *object) bool {
	f, ok := o.get("names")
	if !ok {
		return true
	}
	v, ok := p.boolean(f, "names")
	return v || !ok // a bad value is reported; the default keeps later checks quiet
}

// hostPorts reads networks.N.host_ports: a mapping of host name to the
// host's address on the network.
func (p *parser) hostPorts(f field, path string) []HostPort {
	p.mark(path, f.key)
	if f.val.Kind != yaml.MappingNode {
		p.errAt(f.val, path, "expected a mapping of host names to addresses (host2: 10.0.1.2), found %s", describe(f.val))
		return nil
	}
	var out []HostPort
	for _, e := range p.entries(f.val, path, "host") {
		field := join(path, e.name)
		out = append(out, HostPort{Host: e.name, Address: p.addr(e, field)})
	}
	slices.SortFunc(out, func(a, b HostPort) int { return cmp.Compare(a.Host, b.Host) })
	return out
}

// linkKeys reads vlan, mtu and impair of one interface (the container
// itself in the short form). MTU defaults to ContainerMTU here, so that a
// bad value does not also trip the checks that compare MTUs.
func (p *parser) linkKeys(o *object, it *Interface) {
	it.MTU = ContainerMTU
	if f, ok := o.get("vlan"); ok {
		v, _ := p.integer(f, o.path+".vlan", MinVLAN, MaxVLAN)
		it.VLAN = int(v)
	}
	if f, ok := o.get("mtu"); ok {
		if v, ok := p.integer(f, o.path+".mtu", MinMTU, MaxMTU); ok {
			it.MTU = int(v)
		}
	}
	if f, ok := o.get("impair"); ok {
		it.Impair = p.impair(f, o.path+".impair")
	}
}

// impair reads {delay, jitter, loss, rate}.
func (p *parser) impair(f field, path string) *Impair {
	p.mark(path, f.key)
	o, ok := p.object(f.val, f.key, path, "delay", "jitter", "loss", "rate")
	if !ok {
		return nil
	}
	if len(f.val.Content) == 0 {
		p.errAt(f.val, path, "impair is empty; give delay, jitter, loss or rate, or leave impair out")
		return nil
	}
	var im Impair
	read := func(key string, parse func(string) error) {
		g, ok := o.get(key)
		if !ok {
			return
		}
		// Numbers come as !!int or !!float: loss: 1 means 1%.
		s, ok := p.str(g, path+"."+key)
		if !ok {
			return
		}
		if err := parse(s); err != nil {
			p.errAt(g.val, path+"."+key, "%v", err)
		}
	}
	read("delay", func(s string) (err error) { im.Delay, err = parseDelay("delay", s); return })
	read("jitter", func(s string) (err error) { im.Jitter, err = parseDelay("jitter", s); return })
	read("loss", func(s string) (err error) { im.Loss, err = parseLoss(s); return })
	read("rate", func(s string) (err error) { im.Rate, err = parseRate(s); return })
	if im.Jitter > 0 && im.Delay == 0 && !p.bad[path+".delay"] {
		g := o.m["jitter"]
		p.errAt(g.key, path+".jitter", "jitter varies the delay, and there is none; set delay too (e.g. delay: 50ms, jitter: 5ms)")
	}
	if im == (Impair{}) {
		return nil // every value was bad (reported) or zero: nothing to apply
	}
	return &im
}

// validateKeys checks what the newer keys involve beyond their own value:
// host ports against the network's other addresses, and MTUs against what
// the underlay carries.
func (p *parser) validateKeys(t *Topology) {
	owner := map[netip.Addr]string{} // container address → interface field
	for _, c := range t.Containers {
		for i, it := range c.Interfaces {
			if it.Address.IsValid() {
				owner[it.Address] = p.ifaceField(c.Name, i)
			}
		}
	}
	carriers := t.carriers()
	for _, n := range t.Networks {
		p.validateHostPorts(t, n, owner)
	}
	for _, c := range t.Containers {
		for i, it := range c.Interfaces {
			p.checkLinkMTU(t, p.ifaceField(c.Name, i), it, len(carriers[it.Network]) > 1)
		}
	}
}

func (p *parser) validateHostPorts(t *Topology, n Network, owner map[netip.Addr]string) {
	path := "networks." + n.Name + ".host_ports"
	seen := map[netip.Addr]string{}
	for _, hp := range n.HostPorts {
		field := path + "." + hp.Host
		if _, ok := t.HostByName(hp.Host); !ok {
			p.errField(field, "unknown host %q; hosts are: %s", hp.Host, hostList(t))
			continue
		}
		if g := n.Gateway; g != nil && g.Host == hp.Host {
			p.errField(field, "%s holds the gateway %s of networks.%s%s and reaches the network through it; leave it out of host_ports",
				hp.Host, g.Address, n.Name, p.lineOf("networks."+n.Name+".gateway"))
			continue
		}
		a := hp.Address
		if !a.IsValid() || !n.Subnet.IsValid() {
			continue
		}
		switch first, dup := seen[a]; {
		case !n.Subnet.Contains(a):
			p.errField(field, "%s is outside the subnet %s of networks.%s", a, n.Subnet, n.Name)
		case !usable(n.Subnet, a):
			p.errField(field, "%s is the network or broadcast address of %s", a, n.Subnet)
		case n.Gateway != nil && n.Gateway.Address == a:
			p.errField(field, "%s is the gateway of networks.%s%s; give the host another address", a, n.Name, p.lineOf("networks."+n.Name+".gateway"))
		case owner[a] != "":
			p.errField(field, "%s is already used by %s%s", a, owner[a], p.lineOf(owner[a]+".address"))
		case dup:
			p.errField(field, "%s is already the host port of %s%s", a, first, p.lineOf(first))
		default:
			seen[a] = field
		}
	}
}

// checkLinkMTU refuses an MTU set in the file that the underlay cannot
// carry inside VXLAN. The default MTU is only warned about (Warnings): a
// lab that shows the blackhole on purpose is a lesson, a typo is not.
func (p *parser) checkLinkMTU(t *Topology, base string, it Interface, tunnelled bool) {
	if _, explicit := p.pos[base+".mtu"]; !explicit || !tunnelled || p.bad[base+".mtu"] {
		return
	}
	need, what := it.MTU+vxlanMinOverhead, "VXLAN"
	if it.VLAN != 0 {
		need, what = need+vlanTagSize, "VXLAN with the VLAN tag"
	}
	if need > t.Underlay.MTU {
		p.errField(base+".mtu", "mtu %d needs an underlay MTU of %d (%s adds %d) but underlay.mtu is %d; lower mtu to %d or raise underlay.mtu to %d",
			it.MTU, need, what, need-it.MTU, t.Underlay.MTU, t.Underlay.MTU-(need-it.MTU), need)
	}
}

// nameEntries lists what every container's /etc/hosts holds: for each
// container, NODE on its first interface's address and NODE.NETWORK on
// each interface's. Nil with names: false.
func (t *Topology) nameEntries() []NameEntry {
	if !t.Names {
		return nil
	}
	var out []NameEntry
	for _, c := range t.Containers {
		for i, it := range c.Interfaces {
			if !it.Address.IsValid() {
				continue
			}
			if i == 0 {
				out = append(out, NameEntry{Name: c.Name, Address: it.Address})
			}
			out = append(out, NameEntry{Name: c.Name + "." + it.Network, Address: it.Address})
		}
	}
	return out
}
