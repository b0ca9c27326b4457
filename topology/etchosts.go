package topology

// The names: switch and the entries it gives every container's /etc/hosts.

// names reads the top-level names: switch, true unless the file says false.
func (p *parser) names(o *object) bool {
	f, ok := o.get("names")
	if !ok {
		return true
	}
	v, ok := p.boolean(f, "names")
	return v || !ok // a bad value is reported; the default keeps later checks quiet
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
