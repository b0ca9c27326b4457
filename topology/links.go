package topology

import (
	"net/netip"
)

// The keys of one container interface's link beyond its address: vlan,
// mtu and impair (impair.go parses the last), and what they involve
// beyond their own value. The rest of the schema is in schema.go and
// validate.go.

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

// validateLinks checks what the links of the file involve beyond their own
// value: host ports against the network's other addresses, and MTUs
// against what the underlay carries.
func (p *parser) validateLinks(t *Topology) {
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
