package topology

import "fmt"

// vxlanMinOverhead is what VXLAN over IPv4 adds to an untagged inner packet:
// inner Ethernet 14 + VXLAN 8 + UDP 8 + outer IPv4 20. VXLANOverhead adds
// the 4 bytes of an inner 802.1Q tag.
const vxlanMinOverhead = 50

// Warnings lists choices that are valid but will not work as a student
// probably expects. They never stop `up`: a lab that shows the MTU
// blackhole on purpose is a good lesson.
func (t *Topology) Warnings() []string {
	return append(t.mtuWarnings(), t.expectWarnings()...)
}

func (t *Topology) mtuWarnings() []string {
	var out []string
	mtu, biggest := t.Underlay.MTU, t.tunnelledMTU()
	if biggest == 0 {
		return nil // no network crosses hosts: nothing rides in VXLAN
	}
	switch need := biggest + vxlanMinOverhead; {
	case mtu < need:
		out = append(out, fmt.Sprintf(
			"%s: underlay.mtu %d is below %d: %d-byte frames inside VXLAN will be dropped (ping works, TCP stalls); set underlay.mtu: %d",
			t.Source, mtu, need, biggest, max(need+vlanTagSize, DefaultUnderlayMTU)))
	case mtu < need+vlanTagSize:
		out = append(out, fmt.Sprintf(
			"%s: underlay.mtu %d fits untagged %d-byte frames inside VXLAN (%d bytes) but leaves no room for an inner VLAN tag (%d); %d is the default",
			t.Source, mtu, biggest, need, need+vlanTagSize, DefaultUnderlayMTU))
	}
	return out
}

// tunnelledMTU is the largest MTU of an untagged port (container
// interface, gateway or host port) on a network that crosses hosts; 0
// when none does. Tagged interfaces whose MTU does not fit are errors.
func (t *Topology) tunnelledMTU() int {
	carriers := t.carriers()
	biggest := 0
	for _, n := range t.Networks {
		if len(carriers[n.Name]) > 1 && (n.Gateway != nil || len(n.HostPorts) > 0) {
			biggest = max(biggest, ContainerMTU)
		}
	}
	for _, c := range t.Containers {
		for _, it := range c.Interfaces {
			if len(carriers[it.Network]) > 1 {
				biggest = max(biggest, it.MTU)
			}
		}
	}
	return biggest
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
