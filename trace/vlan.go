package trace

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/ovs"
)

func vlanFact(ps *ovs.PortStatus) string {
	switch {
	case ps.Tag != 0:
		return fmt.Sprintf("tag %d (access port of VLAN %d)", ps.Tag, ps.Tag)
	case len(ps.Trunks) > 0:
		return fmt.Sprintf("untagged, trunks %v", ps.Trunks)
	}
	return "untagged, every VLAN"
}

func tagWord(vlan int) string {
	if vlan == 0 {
		return "none (untagged)"
	}
	return fmt.Sprintf("tag %d", vlan)
}

// tagFix puts a port's tag back to the file's.
func tagFix(host, port string, vlan int) *Fix {
	cmd := "ovs-vsctl clear port " + port + " tag"
	if vlan != 0 {
		cmd = fmt.Sprintf("ovs-vsctl set port %s tag=%d", port, vlan)
	}
	return &Fix{Text: fmt.Sprintf("give %s the file's VLAN (%s)", port, tagWord(vlan)), On: host, Commands: []string{cmd}}
}

// accepts reports whether NORMAL sends a frame of vlan out of port.
func accepts(p *ovs.PortStatus, vlan int) bool {
	switch {
	case p.Tag != 0:
		return vlan == p.Tag
	case len(p.Trunks) > 0:
		return slices.Contains(p.Trunks, vlan)
	}
	return true
}

// vlanCause names two ports in different VLANs and fixes the one that
// differs from the file.
func (w *walker) vlanCause(host string, target *station, tp *ovs.PortStatus, pkt Packet) (string, *Fix) {
	src := "the sender's"
	var srcStation *station
	if h, port, ok := strings.Cut(pkt.Ingress, "/"); ok {
		srcStation = w.stationAt(h, port)
		if srcStation != nil {
			src = srcStation.node + "'s"
			if srcStation.kind != stContainer {
				src = srcStation.what() + "'s"
			}
		}
	}
	dst := target.node + "'s"
	if target.kind != stContainer {
		dst = target.what() + "'s"
	}
	cause := fmt.Sprintf("%s port has %s, %s has %s: they are in different VLANs", dst, tagWord(tp.Tag), src, tagWord(pkt.VLAN))
	switch {
	case tp.Tag != target.vlan:
		return cause, tagFix(host, target.port, target.vlan)
	case srcStation != nil && pkt.VLAN != srcStation.vlan:
		return cause, tagFix(srcStation.host, srcStation.port, srcStation.vlan)
	}
	return cause, &Fix{Text: "the file puts them in different VLANs: give both interfaces the same vlan: (or none)"}
}
