package topology

import (
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// The keys each object of the file accepts (docs/topology.md, "Keys").
var (
	topKeys       = []string{"version", "name", "hosts", "underlay", "networks", "emulation", "containers", "expect", "names", "hints", "neighbours", "stages"}
	hostKeys      = []string{"underlay", "gateway", "interface", "datapath", "ssh"}
	networkKeys   = []string{"subnet", "vni", "bridge", "gateway", "host_ports"}
	gatewayKeys   = []string{"host", "address", "nat"}
	containerKeys = []string{"host", "image", "build", "command", "network", "address", "mac", "interfaces", "vlan", "mtu", "impair"}
	interfaceKeys = []string{"network", "address", "mac", "vlan", "mtu", "impair"}
)

// maxVNI is the largest 24-bit VXLAN network identifier.
const maxVNI = 1<<24 - 1

// topology walks the root mapping into a model. Values that fail their own
// checks are left zero; the caller only uses the model if no error was found.
func (p *parser) topology(root *yaml.Node) *Topology {
	t := &Topology{}
	if root.Kind != yaml.MappingNode {
		p.errAt(root, "", "a topology file is a mapping with name, hosts, networks and containers; found %s", describe(root))
		return t
	}
	o, _ := p.object(root, nil, "", topKeys...)
	if f, ok := o.get("version"); ok {
		if v, ok := p.integer(f, "version", math.MinInt32, math.MaxInt32); ok && v != 1 {
			p.errAt(f.val, "version", "unsupported version %d; this ovslab reads version 1", v)
		}
	}
	if f, ok := p.required(o, "name"); ok {
		if s, ok := p.str(f, "name"); ok {
			t.Name = s
			p.checkLabName(f.val, s)
		}
	}
	if f, ok := p.required(o, "hosts"); ok {
		t.Hosts = p.hosts(f.val)
		if len(t.Hosts) == 0 && !p.bad["hosts"] {
			p.errAt(f.val, "hosts", "at least one host is required")
		}
	}
	if f, ok := o.get("underlay"); ok {
		if u, ok := p.object(f.val, f.key, "underlay", "mtu"); ok {
			if f, ok := u.get("mtu"); ok {
				v, _ := p.integer(f, "underlay.mtu", 1280, 9216)
				t.Underlay.MTU = int(v)
			}
		}
	}
	if f, ok := o.get("networks"); ok {
		t.Networks = p.networks(f.val)
	}
	if f, ok := o.get("emulation"); ok {
		if e, ok := p.object(f.val, f.key, "emulation", "wan"); ok {
			if f, ok := e.get("wan"); ok {
				t.Emulation.WAN = p.subnet(f, "emulation.wan", 30)
			}
		}
	}
	if f, ok := o.get("containers"); ok {
		t.Containers = p.containers(f.val)
	}
	if f, ok := o.get("expect"); ok {
		t.Expect = p.expect(f)
	}
	t.Names = p.names(o)
	t.Hints = p.topHints(o)
	t.StaticNeighbours = p.neighbours(o)
	if f, ok := o.get("stages"); ok {
		t.Stages = p.stages(f)
	}
	return t
}

func (p *parser) hosts(n *yaml.Node) []Host {
	var out []Host
	for _, e := range p.entries(n, "hosts", "host") {
		path := "hosts." + e.name
		p.checkHostName(e.key, path, e.name)
		h := Host{Name: e.name}
		if o, ok := p.object(e.val, e.key, path, hostKeys...); ok {
			if f, ok := p.required(o, "underlay"); ok {
				h.Underlay = p.hostPrefix(f, path+".underlay")
			}
			if f, ok := p.required(o, "gateway"); ok {
				h.Gateway = p.addr(f, path+".gateway")
			}
			if f, ok := o.get("interface"); ok {
				if s, ok := p.str(f, path+".interface"); ok {
					if msg := ifnameProblem(s); msg != "" {
						p.errAt(f.val, path+".interface", "interface name %s", msg)
					}
					h.Interface = s
				}
			}
			if f, ok := o.get("datapath"); ok {
				if s, ok := p.str(f, path+".datapath"); ok {
					if s != DatapathSystem && s != DatapathNetdev {
						p.errAt(f.val, path+".datapath", "unknown datapath %q; use %s (kernel) or %s (userspace)", s, DatapathSystem, DatapathNetdev)
					}
					h.Datapath, h.DatapathSet = s, true
				}
			}
			if f, ok := o.get("ssh"); ok {
				h.SSH = p.sshTarget(f, path+".ssh")
			}
		}
		out = append(out, h)
	}
	return out
}

func (p *parser) networks(n *yaml.Node) []Network {
	var out []Network
	for _, e := range p.entries(n, "networks", "network") {
		path := "networks." + e.name
		p.checkName(e.key, path, "network", e.name, maxNetworkName)
		nw := Network{Name: e.name}
		if o, ok := p.object(e.val, e.key, path, networkKeys...); ok {
			if f, ok := p.required(o, "subnet"); ok {
				nw.Subnet = p.subnet(f, path+".subnet", 30)
			}
			if f, ok := p.required(o, "vni"); ok {
				v, _ := p.integer(f, path+".vni", 1, maxVNI)
				nw.VNI = uint32(v)
			}
			if f, ok := o.get("bridge"); ok {
				if s, ok := p.str(f, path+".bridge"); ok {
					nw.Bridge = s
					if msg := bridgeProblem(s); msg != "" {
						p.errAt(f.val, path+".bridge", "bridge name %s", msg)
					}
				}
			}
			if f, ok := o.get("gateway"); ok {
				nw.Gateway = p.gateway(f, path+".gateway")
			}
			if f, ok := o.get("host_ports"); ok {
				nw.HostPorts = p.hostPorts(f, path+".host_ports")
			}
		}
		out = append(out, nw)
	}
	return out
}

func (p *parser) gateway(f field, path string) *Gateway {
	p.mark(path, f.key)
	o, ok := p.object(f.val, f.key, path, gatewayKeys...)
	if !ok {
		return nil
	}
	g := &Gateway{}
	if f, ok := p.required(o, "host"); ok {
		g.Host, _ = p.str(f, path+".host")
	}
	if f, ok := o.get("address"); ok {
		g.Address = p.addr(f, path+".address")
	}
	if f, ok := o.get("nat"); ok {
		g.NAT, _ = p.boolean(f, path+".nat")
	}
	return g
}

func (p *parser) containers(n *yaml.Node) []Container {
	var out []Container
	for _, e := range p.entries(n, "containers", "container") {
		path := "containers." + e.name
		p.checkContainerName(e.key, path, e.name)
		c := Container{Name: e.name}
		if o, ok := p.object(e.val, e.key, path, containerKeys...); ok {
			p.container(o, &c)
		}
		out = append(out, c)
	}
	return out
}

func (p *parser) container(o *object, c *Container) {
	path := o.path
	if f, ok := p.required(o, "host"); ok {
		c.Host, _ = p.str(f, path+".host")
	}
	if f, ok := p.required(o, "image"); ok {
		if s, ok := p.str(f, path+".image"); ok {
			c.Image = s
			if msg := imageProblem(s); msg != "" {
				p.errAt(f.val, path+".image", "image %s", msg)
			}
		}
	}
	if f, ok := o.get("build"); ok {
		if s, ok := p.str(f, path+".build"); ok {
			if s == "" {
				p.errAt(f.val, path+".build", "build is empty; give a directory holding a Dockerfile, or leave build out")
			}
			c.Build = s
		}
	}
	if f, ok := o.get("command"); ok {
		if cmd, ok := p.stringList(f, path+".command"); ok {
			if len(cmd) == 0 {
				p.errAt(f.val, path+".command", "command is empty; leave it out to run the image's default command")
			}
			c.Command = cmd
		}
	}
	short := false
	for _, k := range interfaceKeys { // the short form is one interface's keys
		short = short || o.has(k)
	}
	switch {
	case short && o.has("interfaces"):
		f := o.m["interfaces"]
		p.errAt(f.key, path+".interfaces", "give either network and address (one interface) or interfaces (several), not both")
	case o.has("interfaces"):
		f, ok := p.required(o, "interfaces")
		if ok {
			c.Interfaces = p.interfaces(f, path+".interfaces")
		}
	case short:
		p.short[c.Name] = true
		c.Interfaces = []Interface{p.iface(o, 0)}
	case o.misspelt["network"] || o.misspelt["address"] || o.misspelt["interfaces"]:
		p.bad[path+".network"] = true // reported as the misspelling
	default:
		p.errAt(o.anchor, path+".network", "missing network and address (or interfaces): a container needs at least one interface")
	}
}

func (p *parser) interfaces(f field, path string) []Interface {
	p.mark(path, f.key)
	if f.val.Kind != yaml.SequenceNode {
		p.errAt(f.val, path, "expected a list of {network, address, mac}, found %s", describe(f.val))
		return nil
	}
	if len(f.val.Content) == 0 {
		p.errAt(f.val, path, "interfaces is empty: a container needs at least one interface")
		return nil
	}
	var out []Interface
	for i, n := range f.val.Content {
		if !p.spend(n) {
			break
		}
		n = resolve(n)
		item := index(path, i)
		p.mark(item, n)
		o, ok := p.object(n, nil, item, interfaceKeys...)
		if !ok {
			out = append(out, Interface{Name: "eth" + strconv.Itoa(i)})
			continue
		}
		out = append(out, p.iface(o, i))
	}
	return out
}

// iface reads network, address and mac from o: the container itself in the
// short form, one list item in the long form.
func (p *parser) iface(o *object, i int) Interface {
	it := Interface{Name: "eth" + strconv.Itoa(i)}
	if f, ok := p.required(o, "network"); ok {
		it.Network, _ = p.str(f, o.path+".network")
	}
	if f, ok := p.required(o, "address"); ok {
		it.Address = p.addr(f, o.path+".address")
	}
	if f, ok := o.get("mac"); ok {
		it.MAC = p.mac(f, o.path+".mac")
	}
	p.linkKeys(o, &it)
	return it
}
