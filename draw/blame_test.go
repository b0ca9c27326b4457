package draw

import (
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

func catalogLab(t *testing.T, name string) *topology.Topology {
	t.Helper()
	data, ok := catalog.Get(name)
	if !ok {
		t.Fatalf("no catalog lab %s", name)
	}
	topo, err := topology.Parse(name+".yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// TestBlame puts each kind of fault's failures on the part that causes
// them, and on no other.
func TestBlame(t *testing.T) {
	var (
		doc1, doc2, doc3, doc4 = LinkKey("doc1", "eth0"), LinkKey("doc2", "eth0"), LinkKey("doc3", "eth0"), LinkKey("doc4", "eth0")
		t5000, t6000           = TunnelKey("net1", "host1", "host2"), TunnelKey("net2", "host1", "host2")
		gw1                    = GatewayKey("net1")
		red1, red2             = LinkKey("red1", "eth0"), LinkKey("red2", "eth0")
		blue1, blue2           = LinkKey("blue1", "eth0"), LinkKey("blue2", "eth0")
		tv                     = TunnelKey("net1", "host1", "host2")
	)
	type res struct {
		ok   bool
		line string
		keys []string
	}
	// What every case starts from: the checks of l3-vxlan, all passing.
	base := []res{
		{true, "tunnel host1/br1 -> 172.16.20.100 key 5000", []string{t5000}},
		{true, "tunnel host2/br1 -> 172.16.10.100 key 5000", []string{t5000}},
		{true, "tunnel host1/br2 -> 172.16.20.100 key 6000", []string{t6000}},
		{true, "ping doc1 -> doc3 (10.0.1.20): 84 bytes", []string{doc1, doc3, t5000}},
		{true, "ping doc3 -> doc1 (10.0.1.10): 84 bytes", []string{doc3, doc1, t5000}},
		{true, "ping doc2 -> doc4 (10.0.2.20): 84 bytes", []string{doc2, doc4, t6000}},
		{true, "gateway doc1 -> host1 (10.0.1.1): 84 bytes", []string{doc1, gw1}},
		{true, "gateway doc3 -> host1 (10.0.1.1): 84 bytes", []string{doc3, gw1, t5000}},
		{true, "pmtu doc1 -> doc3 (10.0.1.20): 1500 bytes", []string{doc1, doc3, t5000}},
		{true, "pmtu doc2 -> doc4 (10.0.2.20): 1500 bytes", []string{doc2, doc4, t6000}},
	}
	failing := func(prefixes ...string) []res {
		out := slices.Clone(base)
		for i, r := range out {
			for _, p := range prefixes {
				if strings.HasPrefix(r.line, p) {
					out[i].ok = false
					out[i].line = strings.Split(r.line, ":")[0] + ": no reply"
				}
			}
		}
		return out
	}
	withLine := func(rs []res, prefix, line string) []res {
		for i, r := range rs {
			if strings.HasPrefix(r.line, prefix) {
				rs[i].line = line
			}
		}
		return rs
	}
	for _, tc := range []struct {
		name    string
		lab     string
		results []res
		blamed  map[string]int // part → failures blamed on it; every other part: none
		cause   map[string]string
	}{
		{name: "all pass", lab: "l3-vxlan", results: base},
		{
			// The underlay carries 1500 bytes: small packets cross every
			// part, full-size ones are lost on both hosts' underlay.
			name: "underlay MTU", lab: "mtu-broken", results: failing("pmtu"),
			blamed: map[string]int{UplinkKey("host1"): 2, UplinkKey("host2"): 2},
			cause:  map[string]string{UplinkKey("host1"): "MTU 1500, VXLAN needs 1550", UplinkKey("host2"): "MTU 1500, VXLAN needs 1550"},
		},
		{
			// The same where the file gives the underlay enough: a link
			// was changed on the machine (mtu-blackhole's fault); both
			// hosts' underlay links are shown losing full-size frames.
			name: "full-size lost, underlay fine in the file", lab: "l3-vxlan", results: failing("pmtu doc1"),
			blamed: map[string]int{UplinkKey("host1"): 1, UplinkKey("host2"): 1},
			cause:  map[string]string{UplinkKey("host1"): "full-size VXLAN frames lost", UplinkKey("host2"): "full-size VXLAN frames lost"},
		},
		{
			// A full-size packet refused at its source (the container's
			// own MTU is smaller): not the underlay's; the ends of the
			// path are blamed.
			name: "full-size refused", lab: "l3-vxlan", results: withLine(failing("pmtu doc1"), "pmtu doc1", "pmtu doc1 -> doc3 (10.0.1.20): sendmsg: message too long"),
			blamed: map[string]int{doc1: 1, doc3: 1},
		},
		{
			// vswitchd holds the tunnel port in error: the tunnel reports
			// itself, and takes every failure across it.
			name: "tunnel down", lab: "l3-vxlan", results: failing("tunnel host1/br1", "tunnel host2/br1", "ping doc1", "ping doc3", "gateway doc3", "pmtu doc1"),
			blamed: map[string]int{t5000: 6},
		},
		{
			// doc3's veth is down: everything to or from doc3 fails, and
			// doc1's gateway ping clears doc1's link. The check cannot
			// tell doc3's link from the tunnel, the only way to doc3:
			// both are shown.
			name: "container link or tunnel", lab: "l3-vxlan", results: failing("ping doc1", "ping doc3", "gateway doc3", "pmtu doc1"),
			blamed: map[string]int{doc3: 4, t5000: 4},
		},
		{
			// red2's veth is down; blue1 and blue2 still talk across the
			// same tunnel, which clears it: red2's link is the cause.
			name: "container link", lab: "vlan-tenants", results: []res{
				{true, "tunnel host1/br1 -> 172.16.20.100 key 5000", []string{tv}},
				{true, "ping blue1 -> blue2 (10.0.1.22): 84 bytes", []string{blue1, blue2, tv}},
				{true, "ping blue2 -> blue1 (10.0.1.21): 84 bytes", []string{blue2, blue1, tv}},
				{true, "ping red1 -> spy (10.0.1.31)", []string{red1, LinkKey("spy", "eth0")}},
				{false, "ping red1 -> red2 (10.0.1.12): no reply", []string{red1, red2, tv}},
				{false, "ping red2 -> red1 (10.0.1.11): no reply", []string{red2, red1, tv}},
				{false, "pmtu red1 -> red2 (10.0.1.12): no reply", []string{red1, red2, tv}},
			},
			blamed: map[string]int{red2: 3},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &Overlay{Health: map[string]Health{}}
			for _, r := range tc.results {
				for _, k := range r.keys {
					h := o.Health[k]
					h.Add(r.ok, r.line)
					o.Health[k] = h
				}
			}
			got := blame(catalogLab(t, tc.lab), o)
			for k, v := range got {
				if len(v.blamed) != tc.blamed[k] {
					t.Errorf("%s: %d failures blamed, want %d: %q", k, len(v.blamed), tc.blamed[k], v.blamed)
				}
				if v.cause != tc.cause[k] {
					t.Errorf("%s: cause %q, want %q", k, v.cause, tc.cause[k])
				}
			}
			for k, n := range tc.blamed {
				if got[k] == nil && n > 0 {
					t.Errorf("%s: nothing blamed, want %d", k, n)
				}
			}
		})
	}
}

// TestBlameUnderlay: a check across a tunnel crosses both hosts'
// underlay links: passes there make them green, and a tunnel that loses
// everything where nothing else crosses the underlay (one network) is
// shown with both underlay links, which the check cannot tell from it.
func TestBlameUnderlay(t *testing.T) {
	tun, client, server := TunnelKey("net1", "site-a", "site-b"), LinkKey("client", "eth0"), LinkKey("server", "eth0")
	for _, tc := range []struct {
		ok     bool
		colour string
	}{{true, colourOK}, {false, colourFailed}} {
		o := &Overlay{Health: map[string]Health{}}
		add := func(ok bool, line string, keys ...string) {
			for _, k := range keys {
				h := o.Health[k]
				h.Add(ok, line)
				o.Health[k] = h
			}
		}
		add(true, "tunnel site-a/br1 -> 172.16.20.100 key 5000", tun)
		add(tc.ok, "ping client -> server (10.0.1.20)", client, server, tun)
		add(tc.ok, "ping server -> client (10.0.1.10)", server, client, tun)
		add(true, "expect client -> 10.0.1.99: no reply, as wanted", client) // clears nothing: one part
		got := blame(catalogLab(t, "impaired-wan"), o)
		for _, k := range []string{tun, UplinkKey("site-a"), UplinkKey("site-b")} {
			if c := got[k].colour(); c != tc.colour {
				t.Errorf("ok=%v: %s is %s, want %s (%+v)", tc.ok, k, c, tc.colour, got[k])
			}
		}
	}
}

// TestBlameHandMade: an Overlay whose Health holds counts without lines
// (made by hand, not by Add) still draws: the counts clear their part,
// a failure without a line is its own part's.
func TestBlameHandMade(t *testing.T) {
	o := &Overlay{Health: map[string]Health{
		LinkKey("doc1", "eth0"): {Passed: 2},
		LinkKey("doc3", "eth0"): {Passed: 1, Failed: 1},
	}}
	got := blame(catalogLab(t, "l3-vxlan"), o)
	if v := got[LinkKey("doc3", "eth0")]; v == nil || len(v.blamed) != 1 || v.passed != 1 {
		t.Errorf("doc3's link: %+v, want 1 passed and 1 failure blamed", v)
	}
	if v := got[LinkKey("doc1", "eth0")]; v == nil || len(v.blamed) != 0 || v.colour() != colourOK {
		t.Errorf("doc1's link: %+v, want green", v)
	}
}
