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
	var out []string
	switch mtu, need := t.Underlay.MTU, ContainerMTU+vxlanMinOverhead; {
	case mtu < need:
		out = append(out, fmt.Sprintf(
			"%s: underlay.mtu %d is below %d: 1500-byte frames inside VXLAN will be dropped (ping works, TCP stalls); set underlay.mtu: %d",
			t.Source, mtu, need, DefaultUnderlayMTU))
	case mtu < DefaultUnderlayMTU:
		out = append(out, fmt.Sprintf(
			"%s: underlay.mtu %d fits untagged 1500-byte frames inside VXLAN (%d bytes) but leaves no room for an inner VLAN tag (%d); %d is the default",
			t.Source, mtu, need, DefaultUnderlayMTU, DefaultUnderlayMTU))
	}
	return out
}
