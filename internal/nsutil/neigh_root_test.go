package nsutil

import (
	"maps"
	"net"
	"net/netip"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/vishvananda/netlink"
)

// TestRootSetNamedNeighbours: the one rule by which a link's permanent
// neighbours are written and read back. A link without the mark gets the
// set; the same set again does nothing, an entry deleted by hand
// included, unless verify asks (the link was seen down, or may have
// been): then the lost set comes back. A changed set replaces the old
// one, stale entries gone, learned ones kept; no set removes them all.
func TestRootSetNamedNeighbours(t *testing.T) {
	testenv.Require(t, "ip")
	ns := testenv.Netns(t, "nsu-neigh")
	testenv.Run(t, "ip", "-n", ns, "link", "add", "n0", "type", "veth", "peer", "name", "n1")
	testenv.Run(t, "ip", "-n", ns, "link", "set", "n0", "up")
	testenv.Run(t, "ip", "-n", ns, "link", "set", "n1", "up")
	n, err := OpenNamed(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	subnet := netip.MustParsePrefix("10.7.0.0/24")
	nb := func(i byte) Neighbour {
		return Neighbour{Addr: netip.AddrFrom4([4]byte{10, 7, 0, i}), MAC: net.HardwareAddr{2, 0x42, 10, 7, 0, i}}
	}
	set := func(ns ...Neighbour) NeighbourSet {
		s := NeighbourSet{List: func() []Neighbour { return ns }}
		if len(ns) > 0 {
			s.Name = NameNeighbours(ns)
		}
		return s
	}
	apply := func(s NeighbourSet, verify bool, want string) {
		t.Helper()
		l, err := n.Link("n0")
		if err != nil {
			t.Fatal(err)
		}
		got, err := n.SetNamedNeighbours(l, subnet, s, verify)
		if err != nil || got != want {
			t.Fatalf("SetNamedNeighbours = %q, %v; want %q", got, err, want)
		}
	}
	permanent := func(want ...Neighbour) {
		t.Helper()
		have, err := n.Handle.NeighList(0, netlink.FAMILY_V4)
		if err != nil {
			t.Fatal(err)
		}
		got, exp := map[string]string{}, map[string]string{}
		for _, e := range have {
			if e.State&netlink.NUD_PERMANENT != 0 {
				got[e.IP.String()] = e.HardwareAddr.String()
			}
		}
		for _, w := range want {
			exp[w.Addr.String()] = w.MAC.String()
		}
		if !maps.Equal(got, exp) {
			t.Fatalf("permanent neighbours %v, want %v", got, exp)
		}
	}

	apply(set(nb(1), nb(2)), false, "permanent neighbours updated")
	permanent(nb(1), nb(2))
	apply(set(nb(1), nb(2)), false, "")
	apply(set(nb(1), nb(2)), true, "")

	// Lost without the alias saying so (as a link that goes down loses
	// them): only verify looks.
	testenv.Run(t, "ip", "-n", ns, "neigh", "del", "10.7.0.1", "dev", "n0")
	apply(set(nb(1), nb(2)), false, "")
	permanent(nb(2))
	apply(set(nb(1), nb(2)), true, "permanent neighbours restored")
	permanent(nb(1), nb(2))

	// A changed set: the stale entry goes, a learned one stays.
	testenv.Run(t, "ip", "-n", ns, "neigh", "add", "10.7.0.9", "lladdr", "02:42:0a:07:00:09", "dev", "n0", "nud", "reachable")
	apply(set(nb(2), nb(3)), false, "permanent neighbours updated")
	permanent(nb(2), nb(3))
	if e, err := n.neighGet(mustIndex(t, n, "n0"), netip.MustParseAddr("10.7.0.9")); err != nil || e == nil {
		t.Fatalf("the learned entry went with the stale set (%v)", err)
	}

	apply(set(), false, "permanent neighbours removed")
	permanent()
	if l, _ := n.Link("n0"); l.Attrs().Alias != "" {
		t.Fatalf("alias %q left without a set", l.Attrs().Alias)
	}
	apply(set(), true, "")
}

func mustIndex(t *testing.T, n *NS, link string) int {
	t.Helper()
	l, err := n.Link(link)
	if err != nil {
		t.Fatal(err)
	}
	return l.Attrs().Index
}
