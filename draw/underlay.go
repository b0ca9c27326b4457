package draw

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// withUnderlay adds to an end-to-end path (two parts or more) the
// underlay links of the hosts of each tunnel on it: VXLAN packets leave
// and enter by them. check does not count them there; a tunnel port's own
// report (one part) says nothing of the underlay.
func withUnderlay(parts []string, hosts map[string]bool) []string {
	if len(parts) < 2 {
		return parts
	}
	out := slices.Clone(parts)
	for _, p := range parts {
		f := strings.Split(p, "/")
		if len(f) != 4 || f[0] != "tunnel" {
			continue
		}
		for _, h := range f[2:] {
			if u := UplinkKey(h); hosts[h] && !slices.Contains(out, u) {
				out = append(out, u)
			}
		}
	}
	return out
}

// underlay is what rule 3 of blame needs: each host's underlay MTU and
// the largest frame each network puts in a tunnel.
type underlay struct {
	mtu  map[string]int // host → underlay MTU
	need map[string]int // network → underlay MTU a full VXLAN frame needs
}

type smallUplink struct{ key, why string }

func underlayNeeds(t *topology.Topology) underlay {
	u := underlay{mtu: map[string]int{}, need: map[string]int{}}
	inner := map[string]int{}
	tagged := map[string]bool{}
	for _, p := range t.Plans() {
		u.mtu[p.Host] = p.MTU
		for _, b := range p.Bridges {
			for _, g := range []*topology.GatewayPort{b.Gateway, b.HostPort} {
				if g != nil {
					inner[b.Network] = max(inner[b.Network], g.MTU)
				}
			}
		}
		for _, c := range p.Containers {
			for _, i := range c.Interfaces {
				inner[i.Network] = max(inner[i.Network], i.MTU)
				tagged[i.Network] = tagged[i.Network] || i.VLAN > 0
			}
		}
	}
	for n, m := range inner {
		// VXLANOverhead leaves room for an inner 802.1Q tag; untagged
		// frames need 4 bytes less.
		u.need[n] = m + topology.VXLANOverhead - 4
		if tagged[n] {
			u.need[n] += 4
		}
	}
	return u
}

// lost lists the uplinks that lose the full-size frames of the tunnel
// key names: those whose MTU is too small, else both (none when key is
// not a tunnel's).
func (u underlay) lost(key string) []smallUplink {
	f := strings.Split(key, "/")
	if len(f) != 4 || f[0] != "tunnel" {
		return nil
	}
	need := u.need[f[1]]
	var out, both []smallUplink
	for _, h := range f[2:] {
		m, ok := u.mtu[h]
		if !ok {
			continue
		}
		if m > 0 && m < need {
			out = append(out, smallUplink{UplinkKey(h), fmt.Sprintf("MTU %d, VXLAN needs %d", m, need)})
		}
		both = append(both, smallUplink{UplinkKey(h), "full-size VXLAN frames lost"})
	}
	if len(out) == 0 {
		return both
	}
	return out
}
