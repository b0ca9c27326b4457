package nat

import (
	"reflect"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootReadChains: a chain is read with its policy and every rule,
// the lab's or not, and the chains its rules jump or go to with it.
func TestRootReadChains(t *testing.T) {
	testenv.Require(t, "iptables", "ip")
	ns := testenv.Netns(t, "natread")
	iptNS(t, ns, "-P", "FORWARD", "DROP")
	iptNS(t, ns, "-N", "USER-A")
	iptNS(t, ns, "-N", "USER-B")
	iptNS(t, ns, "-A", "FORWARD", "-j", "USER-A")
	iptNS(t, ns, "-A", "FORWARD", "-i", "net1", "-m", "comment", "--comment", "two words", "-j", "ACCEPT")
	iptNS(t, ns, "-A", "USER-A", "-s", "10.0.1.20", "-g", "USER-B")
	iptNS(t, ns, "-A", "USER-B", "-j", "DROP")
	iptNS(t, ns, "-N", "UNUSED")
	got, err := ReadChains(nsutil.Path(ns), ChainRef{"filter", "FORWARD"}, ChainRef{"filter", "NOSUCH"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[ChainRef]*Chain{
		{"filter", "FORWARD"}: {Table: "filter", Name: "FORWARD", Policy: "DROP", Rules: [][]string{
			{"-j", "USER-A"}, {"-i", "net1", "-m", "comment", "--comment", "two words", "-j", "ACCEPT"}}},
		{"filter", "USER-A"}: {Table: "filter", Name: "USER-A", Rules: [][]string{{"-s", "10.0.1.20/32", "-g", "USER-B"}}},
		{"filter", "USER-B"}: {Table: "filter", Name: "USER-B", Rules: [][]string{{"-j", "DROP"}}},
	}
	if !reflect.DeepEqual(got, want) {
		for k, c := range got {
			t.Logf("%v: %+v", k, *c)
		}
		t.Errorf("read %d chains, want FORWARD, USER-A and USER-B as above", len(got))
	}
}
