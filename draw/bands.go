package draw

import (
	"slices"

	"github.com/ovslab/ovslab/topology"
)

// bandOrder lists the networks top to bottom: as the file sorts them,
// unless another order puts more of the networks that one container
// joins next to each other, so that its links reach both bridges
// without crossing a third (tried in full up to 6 networks).
func bandOrder(t *topology.Topology, plans []*topology.HostPlan) []string {
	var nets []string
	for _, n := range t.Networks {
		for _, p := range plans {
			if slices.ContainsFunc(p.Bridges, func(b topology.BridgePlan) bool { return b.Network == n.Name }) {
				nets = append(nets, n.Name)
				break
			}
		}
	}
	pairs := map[[2]string]int{}
	for _, p := range plans {
		for _, c := range p.Containers {
			for i := range c.Interfaces {
				for j := i + 1; j < len(c.Interfaces); j++ {
					pairs[[2]string{c.Interfaces[i].Network, c.Interfaces[j].Network}]++
				}
			}
		}
	}
	if len(pairs) == 0 || len(nets) > 6 {
		return nets
	}
	cost := func(order []string) int {
		pos := map[string]int{}
		for i, n := range order {
			pos[n] = i
		}
		c := 0
		for pr, n := range pairs {
			if d := pos[pr[0]] - pos[pr[1]]; d > 1 || d < -1 {
				c += n
			}
		}
		return c
	}
	best, bestCost := slices.Clone(nets), cost(nets)
	permute(slices.Clone(nets), 0, func(order []string) {
		if c := cost(order); c < bestCost {
			best, bestCost = slices.Clone(order), c
		}
	})
	return best
}

// permute calls f with every order of s[k:] after s[:k].
func permute(s []string, k int, f func([]string)) {
	if k == len(s) {
		f(s)
		return
	}
	for i := k; i < len(s); i++ {
		s[k], s[i] = s[i], s[k]
		permute(s, k+1, f)
		s[k], s[i] = s[i], s[k]
	}
}
