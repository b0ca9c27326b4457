package draw

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// maxRow is how many things one bridge shows side by side; past it the
// containers alike are drawn as one group, so that a bridge of 25
// containers takes the room of a few.
const maxRow = 6

// maxLoose is how many containers whose link is a failure's cause stay
// out of their group, to be seen by name.
const maxLoose = 3

// compact draws a row of more than maxRow things with the containers
// that are plugged in alike (same bridges, same interfaces) as one
// group, except a few whose link is a failure's cause.
func compact(row []*sItem, verdicts map[string]*verdict, checked bool) []*sItem {
	if len(row) <= maxRow {
		return row
	}
	var out []*sItem
	groups := map[string][]*sItem{}
	var order []string
	loose := 0
	for _, it := range row {
		if it.ellipse {
			out = append(out, it)
			continue
		}
		if loose < maxLoose && blamedLink(it) {
			out = append(out, it)
			loose++
			continue
		}
		var sig []string
		for _, l := range it.links {
			sig = append(sig, fmt.Sprintf("%d %s", l.band, l.label))
		}
		k := strings.Join(sig, "|")
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], it)
	}
	for _, k := range order {
		g := groups[k]
		if len(g) == 1 {
			out = append(out, g[0])
			continue
		}
		it := &sItem{row: g[0].row, lines: groupLines(g)}
		for i, l := range g[0].links {
			gl := &sLink{band: l.band, sEdge: sEdge{label: fmt.Sprintf("%s ×%d", l.label, len(g))}}
			for _, m := range g {
				gl.keys = append(gl.keys, m.links[i].keys...)
			}
			if checked {
				gl.v = merge(verdicts, gl.keys)
			}
			it.links = append(it.links, gl)
		}
		out = append(out, it)
	}
	return out
}

// groupLines say what a group holds: how many, the first and last name
// and address as a person counts them (c2 before c10).
func groupLines(g []*sItem) []string {
	var names, addrs []string
	for _, it := range g {
		f := strings.Fields(it.lines[0])
		names = append(names, f[0])
		addrs = append(addrs, strings.Join(f[1:], " "))
	}
	slices.SortFunc(names, natural)
	slices.SortFunc(addrs, natural)
	return []string{fmt.Sprintf("%d containers", len(g)),
		names[0] + " … " + names[len(names)-1], addrs[0] + " … " + addrs[len(addrs)-1]}
}

// natural orders strings with their runs of digits as numbers.
func natural(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := cmp.Or(cmp.Compare(len(na), len(nb)), strings.Compare(na, nb)); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return cmp.Compare(a[0], b[0])
		}
		a, b = a[1:], b[1:]
	}
	return cmp.Compare(len(a), len(b))
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

func blamedLink(it *sItem) bool {
	for _, l := range it.links {
		if l.v != nil && len(l.v.blamed) > 0 {
			return true
		}
	}
	return false
}
