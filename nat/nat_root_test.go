package nat

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootNATFunctional carries real traffic through three throwaway
// netns: client 10.9.1.2 → router (gateway port gw0, FORWARD policy DROP
// as Docker leaves it) → server 192.0.2.2, which has no route back to
// 10.9.1.0/24. Only with both the FORWARD accepts and the MASQUERADE does
// a ping get an answer.
func TestRootNATFunctional(t *testing.T) {
	testenv.Require(t, "ip", "iptables", "iptables-save", "ping")
	client := testenv.Netns(t, "nat-cli")
	router := testenv.Netns(t, "nat-rtr")
	server := testenv.Netns(t, "nat-srv")
	rpath := nsutil.Path(router)

	// Each veth end is created directly in its netns: nothing appears in
	// the root netns, and deleting the netns removes them.
	testenv.Run(t, "ip", "link", "add", "c0", "netns", client, "type", "veth", "peer", "name", "gw0", "netns", router)
	testenv.Run(t, "ip", "link", "add", "s0", "netns", server, "type", "veth", "peer", "name", "wan0", "netns", router)
	for _, c := range [][]string{
		{client, "addr", "add", "10.9.1.2/24", "dev", "c0"},
		{client, "link", "set", "c0", "up"},
		{client, "route", "add", "default", "via", "10.9.1.1"},
		{router, "addr", "add", "10.9.1.1/24", "dev", "gw0"},
		{router, "addr", "add", "192.0.2.1/24", "dev", "wan0"},
		{router, "link", "set", "gw0", "up"},
		{router, "link", "set", "wan0", "up"},
		{server, "addr", "add", "192.0.2.2/24", "dev", "s0"},
		{server, "link", "set", "s0", "up"},
	} {
		testenv.Run(t, "ip", append([]string{"-n"}, c...)...)
	}
	if _, err := SetIPForward(rpath, true); err != nil {
		t.Fatal(err)
	}
	iptNS(t, router, "-P", "FORWARD", "DROP")

	// ping returns 0 if any of its echoes is answered; -W bounds each wait,
	// so the failing cases end on their own without a sleep.
	ping := func() error {
		return exec.Command("ip", "netns", "exec", client, "ping", "-c", "3", "-i", "0.2", "-W", "1", "-q", "192.0.2.2").Run()
	}
	// The first hop works in every step below: a failure is the router's.
	testenv.Run(t, "ip", "netns", "exec", client, "ping", "-c", "1", "-W", "2", "-q", "10.9.1.1")

	if ping() == nil {
		t.Fatal("ping passed with FORWARD policy DROP and no rules")
	}

	rules := MasqueradeRules(netip.MustParsePrefix("10.9.1.0/24"), nil, "gw0")
	fwdOnly := rules[1:] // the FORWARD accepts, no MASQUERADE
	if err := Ensure(rpath, lab, fwdOnly); err != nil {
		t.Fatal(err)
	}
	if ping() == nil {
		t.Fatal("ping passed without MASQUERADE: the server must not be able to answer 10.9.1.2")
	}

	if err := Ensure(rpath, lab, rules); err != nil {
		t.Fatal(err)
	}
	if err := ping(); err != nil {
		t.Fatalf("ping through NAT failed: %v\n%s", err, testenv.Run(t, "ip", "netns", "exec", router, "iptables-save", "-c"))
	}

	// Real traffic moved the counters; a repeated Ensure must keep them,
	// i.e. write nothing.
	before := saveWithCounters(t, router)
	if m := masqCounters(before); m == "" || strings.HasPrefix(m, "[0:0]") {
		t.Fatalf("MASQUERADE saw no traffic:\n%s", before)
	}
	if err := Ensure(rpath, lab, rules); err != nil {
		t.Fatal(err)
	}
	if after := saveWithCounters(t, router); after != before {
		t.Errorf("repeated Ensure rewrote rules:\nbefore\n%s\nafter\n%s", before, after)
	}

	if err := Delete(rpath, lab); err != nil {
		t.Fatal(err)
	}
	if ping() == nil {
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
