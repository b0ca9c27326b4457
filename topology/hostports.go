package topology

import (
	"cmp"
	"net/netip"
	"slices"

	"gopkg.in/yaml.v3"
)

// networks.N.host_ports: hosts that join a network themselves.

// HostPort is a host that joins a network itself: an OVS internal port on
// the network's bridge on that host, holding Address.
type HostPort struct {
	Host    string
	Address netip.Addr
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
