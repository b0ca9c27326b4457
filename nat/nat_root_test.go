package nat

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootNATFunctional carries real traffic through the rig of
// policy_root_test.go: only with both the FORWARD accepts and the
// MASQUERADE does a ping get an answer.
func TestRootNATFunctional(t *testing.T) {
	r := newNATRig(t)
	if r.reaches("192.0.2.2") {
		t.Fatal("ping passed with FORWARD policy DROP and no rules")
	}

	rules := MasqueradeRules(netip.MustParsePrefix("10.9.1.0/24"), nil, "gw0")
	var fwdOnly []Rule // the FORWARD accepts, no MASQUERADE
	for _, x := range rules {
		if x.Table == "filter" {
			fwdOnly = append(fwdOnly, x)
		}
	}
	if err := Ensure(r.rpath, lab, fwdOnly); err != nil {
		t.Fatal(err)
	}
	if r.reaches("192.0.2.2") {
		t.Fatal("ping passed without MASQUERADE: the server must not be able to answer 10.9.1.2")
	}

	if err := Ensure(r.rpath, lab, rules); err != nil {
		t.Fatal(err)
	}
	if !r.reaches("192.0.2.2") {
		t.Fatalf("ping through NAT failed:\n%s", testenv.Run(t, "ip", "netns", "exec", r.router, "iptables-save", "-c"))
	}

	// Real traffic moved the counters; a repeated Ensure must keep them,
	// i.e. write nothing.
	before := saveWithCounters(t, r.router)
	if m := masqCounters(before); m == "" || strings.HasPrefix(m, "[0:0]") {
		t.Fatalf("MASQUERADE saw no traffic:\n%s", before)
	}
	if err := Ensure(r.rpath, lab, rules); err != nil {
		t.Fatal(err)
	}
	if after := saveWithCounters(t, r.router); after != before {
		t.Errorf("repeated Ensure rewrote rules:\nbefore\n%s\nafter\n%s", before, after)
	}

	if err := Delete(r.rpath, lab); err != nil {
		t.Fatal(err)
	}
	if r.reaches("192.0.2.2") {
		t.Error("ping passed after Delete")
	}
}

// masqCounters returns the iptables-save -c line of the lab's MASQUERADE.
func masqCounters(save string) string {
	for _, l := range strings.Split(save, "\n") {
		if strings.Contains(l, "MASQUERADE") && strings.Contains(l, Comment(lab)) {
			return l
		}
	}
	return ""
}
