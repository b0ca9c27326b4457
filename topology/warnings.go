package topology

import "fmt"

// Warnings lists choices that are valid but will not work as a student
// probably expects. They never stop `up`: a lab that shows the MTU
// blackhole on purpose is a good lesson.
func (t *Topology) Warnings() []string {
	var out []string
	if need := ContainerMTU + VXLANOverhead; t.Underlay.MTU < need {
		out = append(out, fmt.Sprintf(
			"%s: underlay.mtu %d is below %d: 1500-byte frames inside VXLAN will be dropped (ping works, TCP stalls); set underlay.mtu: %d or lower the container MTU",
			t.Source, t.Underlay.MTU, need, need))
	}
	return out
}
