package draw

import (
	"slices"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// verdict is what the SVG says of one part of the picture after a check.
type verdict struct {
	passed  int      // results across it that passed
	blamed  []string // failed results whose cause is this part
	crossed []string // failed results that crossed it, blamed on another part
	cause   string   // what is wrong with it, when the check tells: "MTU 1500, VXLAN needs 1550"
}

// result is one check result given back from an Overlay: its line, and
// the parts it was counted on (its path), n times over.
type result struct {
	line  string
	n     int
	parts []string
}

// blame puts every failed result of o on the part of the picture its
// cause is, so a student sees where to look rather than every part the
// failing packets crossed.
//
// check counts a result on each part its packets crossed, with the same
// line (Health.Add), so the lines give back each result's path; a path
// across a tunnel crosses the underlay links of its two hosts too
// (withUnderlay). Then:
//
//  1. A result counted on one part only is that part's own report (a
//     tunnel port that vswitchd holds in error, a host whose daemons or
//     containers are not as planned): that part is the cause.
//  2. A part that a passing result crossed end to end (a path of two
//     parts or more) forwards packets and is cleared; the cause is among
//     the parts of the path that are not. A part already blamed by its
//     own report takes the failures across it. Otherwise one broken part
//     fails every result across it, so the part shared by the most
//     failures is blamed first (the fewest causes that explain every
//     failure), then the next, until each failure has one. Parts that
//     explain as many failures are all blamed: the check cannot tell
//     them apart (a tunnel and the link of the only container beyond
//     it), so the student is shown both.
//  3. When every part of a path is cleared, those parts forward small
//     packets and lost this one. A full-size probe with Don't Fragment
//     (pmtu, an mtu expectation) that got no reply across a tunnel was
//     lost on the underlay, which carries it with VXLAN's 50 bytes more
//     (a container whose own MTU is too small gets an error instead, and
//     falls to rule 4). The uplinks of the tunnel's hosts whose underlay
//     MTU is below what a full VXLAN frame of the network needs are
//     blamed, with both numbers; when the file gives both enough (a link
//     changed on the machine), both uplinks are.
//  4. Otherwise (a leak between networks or VLANs, a one-way fault) the
//     ends of the path are blamed: the links, gateways and host ports the
//     failure started and ended on.
//
// Every other part a failure crossed lists it in its tooltip only.
func blame(t *topology.Topology, o *Overlay) map[string]*verdict {
	if o == nil {
		return nil
	}
	out := map[string]*verdict{}
	get := func(k string) *verdict {
		if out[k] == nil {
			out[k] = &verdict{}
		}
		return out[k]
	}
	fails, passes := results(o)
	hosts := map[string]bool{}
	for _, h := range t.Hosts {
		hosts[h.Name] = true
	}
	for _, r := range append(slices.Clone(fails), passes...) {
		r.parts = withUnderlay(r.parts, hosts)
	}
	cleared := map[string]bool{}
	for _, r := range passes {
		for _, p := range r.parts {
			get(p).passed += r.n
			if len(r.parts) >= 2 {
				cleared[p] = true
			}
		}
	}
	for _, k := range sortedKeys(o.Health) {
		h := o.Health[k]
		if extra := h.Passed - len(h.Passes); extra > 0 {
			get(k).passed += extra
			cleared[k] = true // passes of unknown path (an Overlay made by hand)
		}
		for range h.Failed - len(h.Failures) {
			get(k).blamed = append(get(k).blamed, "a failed check")
		}
	}

	cause := map[*result][]string{}
	var pending []*result
	reported := map[string]bool{}
	for _, r := range fails {
		if len(r.parts) == 1 { // rule 1
			cause[r] = r.parts
			reported[r.parts[0]] = true
			continue
		}
		pending = append(pending, r)
	}
	suspects := func(r *result) []string {
		var s []string
		for _, p := range r.parts {
			if !cleared[p] {
				s = append(s, p)
			}
		}
		return s
	}
	for _, r := range pending { // rule 2, parts that reported themselves
		for _, p := range suspects(r) {
			if reported[p] {
				cause[r] = []string{p}
				break
			}
		}
	}
	for { // rule 2, the fewest parts that explain the rest
		count := map[string]int{}
		for _, r := range pending {
			if cause[r] == nil {
				for _, p := range suspects(r) {
					count[p] += r.n
				}
			}
		}
		if len(count) == 0 {
			break
		}
		most := 0
		for _, n := range count {
			most = max(most, n)
		}
		for _, r := range pending {
			if cause[r] != nil {
				continue
			}
			for _, p := range suspects(r) {
				if count[p] == most {
					cause[r] = append(cause[r], p)
				}
			}
		}
	}
	under := underlayNeeds(t)
	for _, r := range pending {
		if cause[r] != nil {
			continue
		}
		if lostFullSize(r.line) { // rule 3
			for _, p := range r.parts {
				for _, u := range under.lost(p) {
					if !slices.Contains(cause[r], u.key) {
						cause[r] = append(cause[r], u.key)
						get(u.key).cause = u.why
					}
				}
			}
		}
		if cause[r] == nil { // rule 4
			for _, p := range r.parts {
				if rank := partRank(p); rank >= rankGateway && rank <= rankLink {
					cause[r] = append(cause[r], p)
				}
			}
		}
		if cause[r] == nil {
			cause[r] = r.parts
		}
	}
	for _, r := range fails {
		for _, p := range r.parts {
			v := get(p)
			for range r.n {
				if slices.Contains(cause[r], p) {
					v.blamed = append(v.blamed, r.line)
				} else {
					v.crossed = append(v.crossed, r.line+" (cause: "+partNames(cause[r])+")")
				}
			}
		}
		for _, c := range cause[r] {
			if !slices.Contains(r.parts, c) { // an uplink found by rule 3
				for range r.n {
					get(c).blamed = append(get(c).blamed, r.line)
				}
			}
		}
	}
	return out
}

// results gives back the check's results from o: each line with the
// parts it was counted on.
func results(o *Overlay) (fails, passes []*result) {
	collect := func(lines func(Health) []string) []*result {
		byLine := map[string]*result{}
		for _, k := range sortedKeys(o.Health) {
			n := map[string]int{}
			for _, l := range lines(o.Health[k]) {
				n[l]++
			}
			for l, c := range n {
				r := byLine[l]
				if r == nil {
					r = &result{line: l}
					byLine[l] = r
				}
				r.n = max(r.n, c)
				r.parts = append(r.parts, k)
			}
		}
		var out []*result
		for _, l := range sortedKeys(byLine) {
			out = append(out, byLine[l])
		}
		return out
	}
	return collect(func(h Health) []string { return h.Failures }), collect(func(h Health) []string { return h.Passes })
}

// lostFullSize reports whether a result's line is a full-size probe with
// Don't Fragment set that got no reply, as check words it (pmtu, an mtu
// expectation).
func lostFullSize(line string) bool {
	full := strings.HasPrefix(line, "pmtu ") || strings.Contains(line, "Don't Fragment") || strings.Contains(line, " DF ")
	return full && strings.Contains(line, "no reply")
}

// Kinds of parts, the ones more results depend on first.
const (
	rankTunnel = iota
	rankUplink
	rankGateway
	rankHostPort
	rankLink
	rankOther
)

func partRank(key string) int {
	kind, _, _ := strings.Cut(key, "/")
	switch kind {
	case "tunnel":
		return rankTunnel
	case "uplink":
		return rankUplink
	case "gateway":
		return rankGateway
	case "hostport":
		return rankHostPort
	case "link":
		return rankLink
	}
	return rankOther
}

// partNames says in words which parts keys name, for a tooltip.
func partNames(keys []string) string {
	var names []string
	for _, k := range keys {
		f := strings.Split(k, "/")
		switch {
		case f[0] == "link" && len(f) == 3:
			names = append(names, f[1]+"'s "+f[2])
		case f[0] == "tunnel" && len(f) == 4:
			names = append(names, "the "+f[1]+" tunnel "+f[2]+"-"+f[3])
		case f[0] == "uplink" && len(f) == 2:
			names = append(names, f[1]+"'s underlay link")
		case f[0] == "gateway" && len(f) == 2:
			names = append(names, f[1]+"'s gateway")
		case f[0] == "hostport" && len(f) == 3:
			names = append(names, f[2]+"'s port on "+f[1])
		case f[0] == "host" && len(f) == 2:
			names = append(names, "host "+f[1])
		default:
			names = append(names, k)
		}
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
