package nat

import (
	"slices"
	"testing"
)

// A whole table in one listing: chains in order, built-in ones first,
// each rule under its own chain, a user chain's header not a rule.
func TestParseTable(t *testing.T) {
	text := `-P INPUT ACCEPT
-P FORWARD DROP
-P OUTPUT ACCEPT
-N OVSLAB-x
-N empty
-A FORWARD -m comment --comment "ovslab:x" -j OVSLAB-x
-A FORWARD -j ACCEPT
-A OVSLAB-x -i net1 -m comment --comment "ovslab:x" -j ACCEPT
`
	tb := parseTable(text)
	if want := []string{"INPUT", "FORWARD", "OUTPUT", "OVSLAB-x", "empty"}; !slices.Equal(tb.chains, want) {
		t.Errorf("chains %q, want %q", tb.chains, want)
	}
	fwd := tb.rules["FORWARD"]
	if len(fwd) != 2 || fwd[0].comment != "ovslab:x" || !slices.Equal(fwd[1].spec, []string{"-j", "ACCEPT"}) {
		t.Errorf("FORWARD %+v", fwd)
	}
	if own := tb.rules["OVSLAB-x"]; len(own) != 1 || !slices.Equal(own[0].spec, []string{"-i", "net1", "-j", "ACCEPT"}) {
		t.Errorf("OVSLAB-x %+v", own)
	}
	if len(tb.rules["INPUT"]) != 0 || len(tb.rules["empty"]) != 0 {
		t.Errorf("rules in chains without any: %+v", tb.rules)
	}
}
