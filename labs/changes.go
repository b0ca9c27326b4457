package labs

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Change is one thing up changed: on which host ("" for the emulated
// router and internet), to what object (a link, a port, a container),
// and what happened to it ("mtu 1500→1554", "recreated").
type Change struct {
	Host, Object, What string
}

// Changes is what one up changed, in the order it happened; empty when
// the machine already matched the file.
type Changes []Change

// String says what changed in one line: objects that had the same change
// on the same hosts together ("br-phy, eth0 mtu 1500→1554 on host1,
// host2"); "nothing to change" when nothing was.
func (c Changes) String() string {
	if len(c) == 0 {
		return "nothing to change"
	}
	type group struct {
		what    string
		objects []string
		hosts   []string
	}
	// First the objects of each change on each host, then the hosts
	// that had the same change to the same objects.
	byHost := map[[2]string][]string{}
	var order [][2]string
	for _, ch := range c {
		k := [2]string{ch.What, ch.Host}
		if _, ok := byHost[k]; !ok {
			order = append(order, k)
		}
		if !slices.Contains(byHost[k], ch.Object) {
			byHost[k] = append(byHost[k], ch.Object)
		}
	}
	var groups []*group
	for _, k := range order {
		objs := slices.Sorted(slices.Values(byHost[k]))
		i := slices.IndexFunc(groups, func(g *group) bool { return g.what == k[0] && slices.Equal(g.objects, objs) })
		if i < 0 {
			groups = append(groups, &group{what: k[0], objects: objs})
			i = len(groups) - 1
		}
		groups[i].hosts = append(groups[i].hosts, k[1])
	}
	// The hosts' news first; the emulated router's after.
	slices.SortStableFunc(groups, func(a, b *group) int {
		return boolInt(slices.Contains(a.hosts, "")) - boolInt(slices.Contains(b.hosts, ""))
	})
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		parts = append(parts, fmt.Sprintf("%s %s on %s", listed(g.objects), g.what, hostList(g.hosts)))
	}
	return strings.Join(parts, "; ")
}

// Recreated reports whether a container was made anew (recreated, or
// created in place of one that was removed).
func (c Changes) Recreated() bool {
	return slices.ContainsFunc(c, func(ch Change) bool { return ch.What == "recreated" || ch.What == "created" })
}

// UpReport is what one up did, for its user.
type UpReport struct {
	Fresh      bool    // the lab was not on this machine: up built it
	Changes    Changes // what up changed on a lab that was here
	Containers int     // how many containers the lab has here
}

// String says what up did in a few words: that it built the lab, or what
// it changed and whether any container had to be recreated (the usual
// worry of a repair), or that there was nothing to change.
func (r UpReport) String() string {
	switch {
	case r.Fresh:
		return "built"
	case len(r.Changes) == 0:
		return "nothing to change"
	case r.Containers > 0 && !r.Changes.Recreated():
		return r.Changes.String() + "; no container recreated"
	}
	return r.Changes.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// listed names objects, the first few of many.
func listed(objects []string) string {
	const show = 6
	if len(objects) > show {
		return fmt.Sprintf("%s and %d more", strings.Join(objects[:show], ", "), len(objects)-show)
	}
	return strings.Join(objects, ", ")
}

// hostList names hosts, "" being the emulated router and internet.
func hostList(hosts []string) string {
	out := slices.Clone(hosts)
	for i, h := range out {
		if h == "" {
			out[i] = "the router"
		}
	}
	slices.Sort(out)
	return listed(out)
}

// changeLog collects the changes of one up from its concurrent steps.
type changeLog struct {
	mu   sync.Mutex
	list Changes
}

// add records that object on host had what done to it.
func (l *changeLog) add(host, object, format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, Change{Host: host, Object: object, What: fmt.Sprintf(format, args...)})
}

// on is a hook for the changes a mechanism (a netns, an OVSDB client)
// makes on host.
func (l *changeLog) on(host string) func(object, what string) {
	if l == nil {
		return nil
	}
	return func(object, what string) { l.add(host, object, "%s", what) }
}

// changes returns what was recorded.
func (l *changeLog) changes() Changes {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}
