package topology

import "fmt"

// vxlanMinOverhead is what VXLAN over IPv4 adds to an untagged inner packet:
// inner Ethernet 14 + VXLAN 8 + UDP 8 + outer IPv4 20. VXLANOverhead adds
// the 4 bytes of an inner 802.1Q tag.
const vxlanMinOverhead = 50

// Warnings lists choices that are valid but will not work as a student
// probably expects. They never stop `up`: a lab that shows the MTU
// blackhole on purpose is a good lesson. With HintsSymptoms they say what
// will be seen, not what to change.
func (t *Topology) Warnings() []string {
	return append(t.mtuWarnings(), t.expectWarnings()...)
}

func (t *Topology) mtuWarnings() []string {
	mtu := t.Underlay.MTU
	biggest, ports := t.tunnelledMTU()
	if biggest == 0 {
		return nil // no network crosses hosts: nothing rides in VXLAN
	}
	from := ""
	if ports != "" {
		from = fmt.Sprintf(" from the networks' %s (MTU %d)", ports, biggest)
	}
	switch need := biggest + vxlanMinOverhead; {
	case mtu < need && !t.Hints.Fix():
		return []string{fmt.Sprintf("%s: %d-byte packets%s that cross between hosts will be lost, while small ones pass (ping works, TCP stalls)",
			t.Source, biggest, from)}
	case mtu < need:
		return []string{fmt.Sprintf("%s: underlay.mtu %d is below %d: %d-byte frames%s inside VXLAN will be dropped (ping works, TCP stalls); set underlay.mtu: %d",
			t.Source, mtu, need, biggest, from, max(need+vlanTagSize, DefaultUnderlayMTU))}
	case mtu < need+vlanTagSize && !t.Hints.Fix():
		return []string{fmt.Sprintf("%s: %d-byte frames%s that carry a VLAN tag will be lost between hosts", t.Source, biggest, from)}
	case mtu < need+vlanTagSize:
		return []string{fmt.Sprintf("%s: underlay.mtu %d fits untagged %d-byte frames%s inside VXLAN (%d bytes) but leaves no room for an inner VLAN tag (%d); %d is the default",
			t.Source, mtu, biggest, from, need, need+vlanTagSize, DefaultUnderlayMTU)}
	}
	return nil
}

// tunnelledMTU is the largest MTU of an untagged port (container
// interface, gateway or host port) on a network that crosses hosts; 0
// when none does. ports names the ports that large when no container's
// interface is ("gateways", "host ports" or both). Tagged interfaces
// whose MTU does not fit are errors.
func (t *Topology) tunnelledMTU() (biggest int, ports string) {
	carriers := t.carriers()
	gateways, hostPorts := false, false
	for _, n := range t.Networks {
		if len(carriers[n.Name]) > 1 {
			gateways = gateways || n.Gateway != nil
			hostPorts = hostPorts || len(n.HostPorts) > 0
		}
	}
	switch {
	case gateways && hostPorts:
		biggest, ports = ContainerMTU, "gateways and host ports"
	case gateways:
		biggest, ports = ContainerMTU, "gateways"
	case hostPorts:
		biggest, ports = ContainerMTU, "host ports"
	}
	for _, c := range t.Containers {
		for _, it := range c.Interfaces {
			if len(carriers[it.Network]) > 1 && it.MTU >= biggest {
				biggest, ports = it.MTU, ""
			}
		}
	}
	return biggest, ports
}

// expectWarnings names the reach: false entries check cannot grade: their
// sender has nothing it must reach (ControlAddr), so its silence would
// prove nothing, and check fails them.
func (t *Topology) expectWarnings() []string {
	var out []string
	for _, e := range t.Expect {
		if e.Kind != ExpectReach || e.Reach || t.ControlAddr(e.From, e.Dst).IsValid() {
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d: expect %s -> %s reach: false cannot be graded: nothing on %s's networks must answer it (no gateway, no other station in its VLAN), "+
			"so its silence would not tell isolation from a broken %s; give %s a station it must reach, e.g. a container in its VLAN",
			t.Source, e.Line, e.From, e.To, e.From, e.From, e.From))
	}
	return out
}
