package nat

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// Every test here works in a throwaway netns: the root netns's rules are
// never read or written.

const lab = "nat-test"

// refRules is the reference lab's NAT: net1 and net2, each excluding the
// other, gateways net1 and net2.
func refRules() []Rule {
	net1, net2 := netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("10.0.2.0/24")
	return slices.Concat(
		MasqueradeRules(net1, []netip.Prefix{net2}, "net1"),
		MasqueradeRules(net2, []netip.Prefix{net1}, "net2"))
}

// What iptables must print for refRules, written out by hand rather than
// derived from the code under test.
var (
	refPost = []string{
		"-A POSTROUTING -s 10.0.1.0/24 -d 10.0.2.0/24 -m comment --comment ovslab:nat-test -j RETURN",
		"-A POSTROUTING -s 10.0.1.0/24 -d 10.0.1.0/24 -m comment --comment ovslab:nat-test -j RETURN",
		"-A POSTROUTING -s 10.0.1.0/24 -o net1 -m comment --comment ovslab:nat-test -j RETURN",
		"-A POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:nat-test -j MASQUERADE",
		"-A POSTROUTING -s 10.0.2.0/24 -d 10.0.1.0/24 -m comment --comment ovslab:nat-test -j RETURN",
		"-A POSTROUTING -s 10.0.2.0/24 -d 10.0.2.0/24 -m comment --comment ovslab:nat-test -j RETURN",
		"-A POSTROUTING -s 10.0.2.0/24 -o net2 -m comment --comment ovslab:nat-test -j RETURN",
		"-A POSTROUTING -s 10.0.2.0/24 -m comment --comment ovslab:nat-test -j MASQUERADE",
	}
	// refChain is the lab's own chain; refJump ends FORWARD.
	refChain = []string{
		"-A OVSLAB-nat-test -i net1 -m comment --comment ovslab:nat-test -j ACCEPT",
		"-A OVSLAB-nat-test -o net1 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ovslab:nat-test -j ACCEPT",
		"-A OVSLAB-nat-test -i net2 -m comment --comment ovslab:nat-test -j ACCEPT",
		"-A OVSLAB-nat-test -o net2 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ovslab:nat-test -j ACCEPT",
	}
	refJump  = "-A FORWARD -m comment --comment ovslab:nat-test -j OVSLAB-nat-test"
	userPost = "-A POSTROUTING -s 192.168.99.0/24 -j MASQUERADE"
	userFwd  = "-A FORWARD -s 192.168.99.0/24 -j DROP"
)

const labChain = "OVSLAB-nat-test"

// noChain fails the test if the lab's chain exists.
func noChain(t *testing.T, ns string) {
	t.Helper()
	if out := iptNS(t, ns, "-S"); strings.Contains(out, labChain) {
		t.Errorf("chain %s is still there:\n%s", labChain, out)
	}
}

func iptNS(t *testing.T, ns string, args ...string) string {
	t.Helper()
	return testenv.Run(t, "ip", append([]string{"netns", "exec", ns, "iptables"}, args...)...)
}

// chainRules returns the chain's rules as `iptables -S` prints them, quotes
// dropped so the expectations read the same for the nft and legacy backends.
func chainRules(t *testing.T, ns, table, chain string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(iptNS(t, ns, "-t", table, "-S", chain), "\n") {
		if strings.HasPrefix(l, "-A ") {
			out = append(out, strings.ReplaceAll(l, `"`, ""))
		}
	}
	return out
}

func wantChain(t *testing.T, ns, table, chain string, want ...string) {
	t.Helper()
	if got := chainRules(t, ns, table, chain); !slices.Equal(got, want) {
		t.Errorf("%s %s is\n  %s\nwant\n  %s", table, chain, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// newNS makes a throwaway netns holding one user rule in each chain ovslab
// uses, to prove they survive.
func newNS(t *testing.T) (name, path string) {
	t.Helper()
	testenv.Require(t, "ip", "iptables", "iptables-save")
	ns := testenv.Netns(t, "nat-ipt")
	iptNS(t, ns, strings.Fields("-t nat "+userPost)...)
	iptNS(t, ns, strings.Fields("-t filter "+userFwd)...)
	return ns, nsutil.Path(ns)
}

func ensure(t *testing.T, path string, rules []Rule) {
	t.Helper()
	if err := Ensure(path, lab, rules); err != nil {
		t.Fatalf("Ensure: %v", err)
	}
}

// saveWithCounters is the whole ruleset with per-rule counters. Counters
// are reset when a rule is deleted and inserted again, so equal snapshots
// around a call prove the call rewrote nothing.
func saveWithCounters(t *testing.T, ns string) string {
	t.Helper()
	var keep []string
	for _, l := range strings.Split(testenv.Run(t, "ip", "netns", "exec", ns, "iptables-save", "-c"), "\n") {
		if !strings.HasPrefix(l, "#") { // "# Generated ... on <time>"
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// seedCounters gives every lab rule distinct non-zero counters (-R keeps
// the rule and its place, only the counters change).
func seedCounters(t *testing.T, ns string) {
	t.Helper()
	for _, tc := range [][2]string{{"nat", "POSTROUTING"}, {"filter", "FORWARD"}, {"filter", labChain}} {
		for i, l := range chainRules(t, ns, tc[0], tc[1]) {
			if !strings.Contains(l, Comment(lab)) {
				continue
			}
			spec := strings.Fields(l)[2:]
			args := append([]string{"-t", tc[0], "-R", tc[1], fmt.Sprint(i + 1), "-c", fmt.Sprint(100 + i), fmt.Sprint(1000 + i)}, spec...)
			iptNS(t, ns, args...)
		}
	}
}

func TestRootIptablesEnsureMasquerade(t *testing.T) {
	ns, path := newNS(t)
	ensure(t, path, refRules())

	// At the top, in order, RETURN before MASQUERADE, the user's rules after;
	// FORWARD's accepts in the lab's chain, jumped to after the user's rule.
	wantChain(t, ns, "nat", "POSTROUTING", append(slices.Clone(refPost), userPost)...)
	wantChain(t, ns, "filter", "FORWARD", userFwd, refJump)
	wantChain(t, ns, "filter", labChain, refChain...)

	got, err := List(path, lab)
	if err != nil {
		t.Fatal(err)
	}
	var gs, ws []string
	for _, r := range got {
		gs = append(gs, r.String())
	}
	for _, r := range refRules() {
		ws = append(ws, strings.Replace(r.String(), LabChain, labChain, 1))
	}
	ws = append(ws, "filter FORWARD -j "+labChain)
	slices.Sort(gs)
	slices.Sort(ws)
	if !slices.Equal(gs, ws) {
		t.Errorf("List =\n%s\nwant\n%s", strings.Join(gs, "\n"), strings.Join(ws, "\n"))
	}
	if ok, err := Converged(path, lab, refRules()); err != nil || !ok {
		t.Errorf("Converged = %v, %v after Ensure", ok, err)
	}

	if err := Delete(path, lab); err != nil {
		t.Fatal(err)
	}
	wantChain(t, ns, "nat", "POSTROUTING", userPost)
	wantChain(t, ns, "filter", "FORWARD", userFwd)
	noChain(t, ns)
}

func TestRootIptablesEnsureTwiceWritesNothing(t *testing.T) {
	ns, path := newNS(t)
	ensure(t, path, refRules())
	seedCounters(t, ns)
	before := saveWithCounters(t, ns)
	if !strings.Contains(before, "[100:1000]") {
		t.Fatalf("counters were not seeded:\n%s", before)
	}

	ensure(t, path, refRules())
	if after := saveWithCounters(t, ns); after != before {
		t.Errorf("second Ensure rewrote rules:\nbefore\n%s\nafter\n%s", before, after)
	}

	// The detector itself: a real rewrite (one rule dropped, then wanted
	// again) must show up as reset counters.
	ensure(t, path, refRules()[:len(refRules())-1])
	ensure(t, path, refRules())
	if after := saveWithCounters(t, ns); after == before {
		t.Error("a rewrite left the counters untouched: the no-op check proves nothing")
	}
	wantChain(t, ns, "filter", "FORWARD", userFwd, refJump)
	wantChain(t, ns, "filter", labChain, refChain...)
}

func TestRootIptablesDeleteOnlyOwnRules(t *testing.T) {
	ns, path := newNS(t)
	// A user rule identical to a lab rule but without the comment: deleting
	// by spec must not take it.
	twin := "-A POSTROUTING -s 10.0.1.0/24 -j MASQUERADE"
	iptNS(t, ns, strings.Fields("-t nat "+twin)...)
	other := MasqueradeRules(netip.MustParsePrefix("10.8.0.0/24"), nil, "other0")
	if err := Ensure(path, "other", other); err != nil {
		t.Fatal(err)
	}
	ensure(t, path, refRules())

	otherPost := []string{
		"-A POSTROUTING -s 10.8.0.0/24 -d 10.8.0.0/24 -m comment --comment ovslab:other -j RETURN",
		"-A POSTROUTING -s 10.8.0.0/24 -o other0 -m comment --comment ovslab:other -j RETURN",
		"-A POSTROUTING -s 10.8.0.0/24 -m comment --comment ovslab:other -j MASQUERADE",
	}
	otherJump := "-A FORWARD -m comment --comment ovslab:other -j OVSLAB-other"
	otherChain := []string{
		"-A OVSLAB-other -i other0 -m comment --comment ovslab:other -j ACCEPT",
		"-A OVSLAB-other -o other0 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ovslab:other -j ACCEPT",
	}
	// Ensure of one lab leaves the other lab's rules where they are.
	wantChain(t, ns, "nat", "POSTROUTING", slices.Concat(refPost, otherPost, []string{userPost, twin})...)
	wantChain(t, ns, "filter", "FORWARD", userFwd, otherJump, refJump)
	if ok, err := Converged(path, "other", other); err != nil || !ok {
		t.Errorf("other lab Converged = %v, %v after this lab's Ensure", ok, err)
	}

	for i := range 2 { // the second Delete finds nothing and is fine
		if err := Delete(path, lab); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
		wantChain(t, ns, "nat", "POSTROUTING", slices.Concat(otherPost, []string{userPost, twin})...)
		wantChain(t, ns, "filter", "FORWARD", userFwd, otherJump)
		wantChain(t, ns, "filter", "OVSLAB-other", otherChain...)
		noChain(t, ns)
	}
	if rules, err := List(path, lab); err != nil || len(rules) != 0 {
		t.Errorf("List after Delete = %v, %v", rules, err)
	}

	if err := Delete(path, "other"); err != nil {
		t.Fatal(err)
	}
	wantChain(t, ns, "nat", "POSTROUTING", userPost, twin)
	wantChain(t, ns, "filter", "FORWARD", userFwd)
	if out := iptNS(t, ns, "-S"); strings.Contains(out, "OVSLAB") {
		t.Errorf("a lab chain is left:\n%s", out)
	}
}

// TestRootIptablesLabChainNotOwned: a chain with the lab's chain name that
// holds someone else's rule is neither taken over nor deleted.
func TestRootIptablesLabChainNotOwned(t *testing.T) {
	ns, path := newNS(t)
	iptNS(t, ns, "-N", labChain)
	iptNS(t, ns, "-A", labChain, "-j", "ACCEPT")
	if err := Ensure(path, lab, refRules()); !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), labChain) {
		t.Errorf("Ensure with a foreign %s = %v, want ErrNotOwned naming it", labChain, err)
	}
	if err := Delete(path, lab); !errors.Is(err, ErrNotOwned) {
		t.Errorf("Delete with a foreign %s = %v, want ErrNotOwned", labChain, err)
	}
	wantChain(t, ns, "filter", labChain, "-A "+labChain+" -j ACCEPT")
	wantChain(t, ns, "filter", "FORWARD", userFwd)
}

// A spec that is not in iptables' printed form still converges (it is
// normalised), and one naming a missing chain fails with the chain's name.
func TestRootIptablesSpecForms(t *testing.T) {
	ns, path := newNS(t)
	loose := []Rule{{Table: "nat", Chain: "POSTROUTING",
		Spec: []string{"--source", "10.0.1.9/24", "--destination", "192.0.2.7", "--jump", "RETURN"}}}
	ensure(t, path, loose)
	wantChain(t, ns, "nat", "POSTROUTING",
		"-A POSTROUTING -s 10.0.1.0/24 -d 192.0.2.7/32 -m comment --comment ovslab:nat-test -j RETURN", userPost)
	if ok, err := Converged(path, lab, loose); err != nil || !ok {
		t.Errorf("Converged = %v, %v for a long-form spec", ok, err)
	}

	err := Ensure(path, lab, []Rule{{Table: "filter", Chain: "NOPE", Spec: []string{"-j", "ACCEPT"}}})
	if err == nil || !strings.Contains(err.Error(), "NOPE") {
		t.Errorf("Ensure into a missing chain: %v", err)
	}
}

// TestRootIptablesConvergeEmpty: in a netns with no rules, ConvergeEmpty
// leaves what Converge would, and a Converge after it writes nothing.
func TestRootIptablesConvergeEmpty(t *testing.T) {
	testenv.Require(t, "ip", "iptables", "iptables-save")
	ns := testenv.Netns(t, "nat-empty")
	path := nsutil.Path(ns)
	rewrote, err := ConvergeEmpty(path, lab, refRules())
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"nat POSTROUTING", "filter " + labChain}; !slices.Equal(rewrote, want) {
		t.Errorf("ConvergeEmpty rewrote %v, want %v", rewrote, want)
	}
	wantChain(t, ns, "nat", "POSTROUTING", refPost...)
	wantChain(t, ns, "filter", "FORWARD", refJump)
	wantChain(t, ns, "filter", labChain, refChain...)
	if rewrote, err := Converge(path, lab, refRules()); err != nil || len(rewrote) > 0 {
		t.Errorf("Converge after ConvergeEmpty rewrote %v (err %v), want nothing", rewrote, err)
	}
}
