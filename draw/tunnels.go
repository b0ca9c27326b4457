package draw

import "slices"

// tunnelRoute is how a tunnel is drawn: straight from bridge to bridge
// when no host between them carries the network, else up from the
// bridge to a track of its own above the band, across, and down.
type tunnelRoute struct {
	*sTunnel
	track  int // -1: straight
	dropA  int // its end's order among the ends on host a's right, host b's left
	dropB  int
	labelM int     // the host it is labelled over, on a track
	trackY float64 // its track's height, once drawn
}

func routeTunnels(s *scene) (routes []*tunnelRoute, tracks []int) {
	tracks = make([]int, len(s.nets))
	over := make([][]*tunnelRoute, len(s.nets))
	for _, t := range s.tunnels {
		r := &tunnelRoute{sTunnel: t, track: -1}
		var carriers []int
		for m := t.a + 1; m < t.b; m++ {
			if s.hosts[m].buses[t.band] != nil {
				carriers = append(carriers, m)
			}
		}
		if len(carriers) > 0 {
			r.labelM = carriers[len(carriers)/2]
			over[t.band] = append(over[t.band], r)
		}
		routes = append(routes, r)
	}
	for band, rs := range over {
		if len(rs) == 0 {
			continue
		}
		// Shorter spans on lower tracks; a track holds spans that do
		// not overlap (one may end on a host where another starts).
		slices.SortStableFunc(rs, func(x, y *tunnelRoute) int { return (x.b - x.a) - (y.b - y.a) })
		var used [][][2]float64
		for _, r := range rs {
			span := [2]float64{float64(r.a) + 0.6, float64(r.b) + 0.4}
			k := 0
			for ; k < len(used); k++ {
				if !slices.ContainsFunc(used[k], func(u [2]float64) bool { return u[0] < span[1] && span[0] < u[1] }) {
					break
				}
			}
			if k == len(used) {
				used = append(used, nil)
			}
			used[k] = append(used[k], span)
			r.track = k
		}
		tracks[band] = len(used)
		// At a bridge's end, the lowest track's drop is outermost, so
		// that no drop crosses another track's line.
		ends := map[[2]int][]*tunnelRoute{} // host, side (0 right, 1 left)
		for _, r := range rs {
			ends[[2]int{r.a, 0}] = append(ends[[2]int{r.a, 0}], r)
			ends[[2]int{r.b, 1}] = append(ends[[2]int{r.b, 1}], r)
		}
		for key, e := range ends {
			slices.SortStableFunc(e, func(x, y *tunnelRoute) int { return x.track - y.track })
			for i, r := range e {
				if key[1] == 0 {
					r.dropA = i
				} else {
					r.dropB = i
				}
			}
		}
	}
	return routes, tracks
}
