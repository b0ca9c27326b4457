package topology

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// validate checks what involves more than one value: references, overlaps,
// uniqueness, and names that collide once planned on a host. It walks in
// file order so that a duplicate is reported at its second occurrence.
func (p *parser) validate(t *Topology) {
	p.validateHosts(t)
	p.validateNetworks(t)
	p.validateContainers(t)
	p.validateBuild(t)
	p.validatePorts(t)
	p.validateLinks(t)
	p.validateExpect(t)
	p.validateStages(t)
}

func (p *parser) validateHosts(t *Topology) {
	owner := map[netip.Addr]string{} // underlay address → host path
	for i, h := range t.Hosts {
		path := "hosts." + h.Name
		if !h.Underlay.IsValid() {
			continue
		}
		a := h.Underlay.Addr()
		if first, dup := owner[a]; dup {
			p.errField(path+".underlay", "%s is already the underlay address of %s%s", a, first, p.lineOf(first+".underlay"))
		} else {
			owner[a] = path
		}
		for _, o := range t.Hosts[:i] {
			if o.Underlay.IsValid() && o.Underlay.Overlaps(h.Underlay) && o.Underlay.Masked() != h.Underlay.Masked() {
				p.errField(path+".underlay", "subnet %s overlaps %s of hosts.%s%s without being the same subnet; hosts on one segment use the same prefix",
					h.Underlay.Masked(), o.Underlay.Masked(), o.Name, p.lineOf("hosts."+o.Name+".underlay"))
				break
			}
		}
		if g := h.Gateway; g.IsValid() {
			switch {
			case g == a:
				p.errField(path+".gateway", "gateway %s is this host's own underlay address; give the router's address", g)
			case !h.Underlay.Contains(g):
				p.errField(path+".gateway", "gateway %s is outside the underlay subnet %s; the next hop must be on the host's segment", g, h.Underlay.Masked())
			case !usable(h.Underlay, g):
				p.errField(path+".gateway", "gateway %s is the network or broadcast address of %s", g, h.Underlay.Masked())
			}
		}
		if w := t.Emulation.WAN; w.IsValid() && w.Overlaps(h.Underlay) {
			if _, given := p.pos["emulation.wan"]; !given {
				p.errField(path+".underlay", "subnet %s overlaps %s; move one of them", h.Underlay.Masked(), p.wanName(t))
			} else if !p.bad["emulation.wan"] {
				p.errField("emulation.wan", "%s overlaps the underlay %s of %s%s; the emulated internet must be apart from the lab",
					w, h.Underlay.Masked(), path, p.lineOf(path+".underlay"))
			}
		}
	}
	for _, h := range t.Hosts {
		if first, ok := owner[h.Gateway]; ok && h.Gateway.IsValid() && first != "hosts."+h.Name {
			p.errField("hosts."+h.Name+".gateway", "gateway %s is the underlay address of %s%s; the gateway is the router's address", h.Gateway, first, p.lineOf(first+".underlay"))
		}
	}
}

func (p *parser) wanName(t *Topology) string {
	if _, given := p.pos["emulation.wan"]; given {
		return fmt.Sprintf("emulation.wan %s%s", t.Emulation.WAN, p.lineOf("emulation.wan"))
	}
	return fmt.Sprintf("the default emulation.wan %s (set emulation.wan to move it)", t.Emulation.WAN)
}

func (p *parser) validateNetworks(t *Topology) {
	vnis := map[uint32]string{}
	bridges := map[string]string{}
	for i, n := range t.Networks {
		path := "networks." + n.Name
		if n.VNI != 0 {
			if first, dup := vnis[n.VNI]; dup {
				p.errField(path+".vni", "VNI %d is already used by %s%s; give each network a VNI of its own", n.VNI, first, p.lineOf(first+".vni"))
			} else {
				vnis[n.VNI] = path
			}
		}
		if n.Bridge != "" && !p.bad[path+".bridge"] {
			if first, dup := bridges[n.Bridge]; dup {
				p.errField(path+".bridge", "bridge %s is already used by %s%s", n.Bridge, first, p.lineOf(first+".bridge"))
			} else {
				bridges[n.Bridge] = path
			}
		}
		if n.Subnet.IsValid() {
			p.checkSubnetOverlaps(t, i)
		}
		if g := n.Gateway; g != nil {
			if g.Host != "" && !p.bad[path+".gateway.host"] {
				if _, ok := t.HostByName(g.Host); !ok {
					p.errField(path+".gateway.host", "unknown host %q; hosts are: %s", g.Host, hostList(t))
				}
			}
			if n.Subnet.IsValid() && g.Address.IsValid() {
				switch {
				case !n.Subnet.Contains(g.Address):
					p.errField(path+".gateway.address", "gateway %s is outside the subnet %s", g.Address, n.Subnet)
				case !usable(n.Subnet, g.Address):
					p.errField(path+".gateway.address", "gateway %s is the network or broadcast address of %s", g.Address, n.Subnet)
				}
			}
		}
	}
}

func (p *parser) checkSubnetOverlaps(t *Topology, i int) {
	n := t.Networks[i]
	field := "networks." + n.Name + ".subnet"
	for _, o := range t.Networks[:i] {
		if o.Subnet.IsValid() && o.Subnet.Overlaps(n.Subnet) {
			p.errField(field, "%s overlaps %s of networks.%s%s", n.Subnet, o.Subnet, o.Name, p.lineOf("networks."+o.Name+".subnet"))
			return
		}
	}
	for _, h := range t.Hosts {
		if h.Underlay.IsValid() && h.Underlay.Overlaps(n.Subnet) {
			p.errField(field, "%s overlaps the underlay %s of hosts.%s%s; container and underlay subnets must be apart",
				n.Subnet, h.Underlay.Masked(), h.Name, p.lineOf("hosts."+h.Name+".underlay"))
			return
		}
	}
	if w := t.Emulation.WAN; w.IsValid() && w.Overlaps(n.Subnet) {
		p.errField(field, "%s overlaps %s; move one of them", n.Subnet, p.wanName(t))
	}
}

// ifaceField is where interface i of container c was written: the container
// itself in the short form, its interfaces[i] item in the long form.
func (p *parser) ifaceField(c string, i int) string {
	if p.short[c] {
		return "containers." + c
	}
	return index("containers."+c+".interfaces", i)
}

func (p *parser) validateContainers(t *Topology) {
	addrs := map[netip.Addr]string{} // address → interface field
	macs := map[string]string{}      // MAC → interface field
	for _, c := range t.Containers {
		path := "containers." + c.Name
		if _, clash := t.HostByName(c.Name); clash && !p.bad[path] {
			p.errField(path, "container name %q is also the name of hosts.%s%s: `ovslab exec LAB %s` must name one node; rename one of them",
				c.Name, c.Name, p.lineOf("hosts."+c.Name), c.Name)
		}
		if c.Host != "" && !p.bad[path+".host"] {
			if _, ok := t.HostByName(c.Host); !ok {
				p.errField(path+".host", "unknown host %q; hosts are: %s", c.Host, hostList(t))
			}
		}
		nets := map[string]string{}
		for i, it := range c.Interfaces {
			base := p.ifaceField(c.Name, i)
			n := p.checkIfaceNetwork(t, base, it, nets)
			dupAddr := false
			if a := it.Address; a.IsValid() {
				if n != nil && n.Subnet.IsValid() {
					p.checkIfaceAddress(base, it, n)
				}
				if first, dup := addrs[a]; dup {
					p.errField(base+".address", "%s is already used by %s%s", a, first, p.lineOf(first+".address"))
					dupAddr = true
				} else {
					addrs[a] = base
				}
			}
			_, explicitMAC := p.pos[base+".mac"]
			if it.MAC != nil && (explicitMAC || !dupAddr) {
				mac := it.MAC.String()
				if first, dup := macs[mac]; dup {
					if explicitMAC {
						p.errField(base+".mac", "MAC %s is already used by %s%s", mac, first, p.lineOf(first+".address"))
					} else {
						p.errField(base+".address", "default MAC %s (from the address) is already used by %s%s; set mac", mac, first, p.lineOf(first+".address"))
					}
				} else {
					macs[mac] = base
				}
			}
		}
	}
}

func (p *parser) checkIfaceNetwork(t *Topology, base string, it Interface, nets map[string]string) *Network {
	if it.Network == "" || p.bad[base+".network"] {
		return nil
	}
	n, ok := t.NetworkByName(it.Network)
	if !ok {
		p.errField(base+".network", "unknown network %q; networks are: %s", it.Network, networkList(t))
		return nil
	}
	if first, dup := nets[it.Network]; dup {
		p.errField(base+".network", "a second interface on %s (the first is at line %d); a container has one interface per network", it.Network, p.at(first+".network").line)
	} else {
		nets[it.Network] = base
	}
	return n
}

func (p *parser) checkIfaceAddress(base string, it Interface, n *Network) {
	a := it.Address
	switch {
	case !n.Subnet.Contains(a):
		p.errField(base+".address", "%s is outside the subnet %s of networks.%s", a, n.Subnet, n.Name)
	case !usable(n.Subnet, a):
		p.errField(base+".address", "%s is the network or broadcast address of %s", a, n.Subnet)
	case n.Gateway != nil && n.Gateway.Address == a:
		p.errField(base+".address", "%s is the gateway of networks.%s%s; give the container another address", a, n.Name, p.lineOf("networks."+n.Name+".gateway"))
	}
}

// validateBuild resolves build directories against the file's directory
// and remembers where each one was written. Whether they exist is a
// question about the machine, not the file: CheckBuildDirs asks it, so
// Parse stays pure and a lab re-read from its state still parses after
// its build directory has gone.
func (p *parser) validateBuild(t *Topology) {
	for i := range t.Containers {
		c := &t.Containers[i]
		field := "containers." + c.Name + ".build"
		if c.Build == "" || p.bad[field] {
			continue
		}
		if t.Dir == "" {
			p.errField(field, "a built-in lab cannot build images from a directory; save the lab to a file first")
			continue
		}
		dir := c.Build
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(t.Dir, dir)
		}
		c.Build = filepath.Clean(dir)
		if t.buildAt == nil {
			t.buildAt = map[string]position{}
		}
		t.buildAt[c.Name] = p.at(field)
	}
}

// CheckBuildDirs reports, with the file's line and column, every build:
// directory that does not exist or is not a directory. It reads the
// filesystem; Parse does not.
func (t *Topology) CheckBuildDirs() error {
	var errs ErrorList
	for _, c := range t.Containers {
		if c.Build == "" {
			continue
		}
		msg := ""
		switch fi, err := os.Stat(c.Build); {
		case err != nil:
			msg = fmt.Sprintf("build directory %s does not exist", c.Build)
		case !fi.IsDir():
			msg = fmt.Sprintf("build path %s is not a directory", c.Build)
		default:
			continue
		}
		at := t.buildAt[c.Name]
		errs = append(errs, &Error{File: t.Source, Line: at.line, Column: at.col, Field: "containers." + c.Name + ".build", Msg: msg})
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func hostList(t *Topology) string {
	names := t.HostNames()
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

func networkList(t *Topology) string {
	var names []string
	for _, n := range t.Networks {
		names = append(names, n.Name)
	}
	slices.Sort(names)
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
