package nat

import (
	"slices"
	"testing"
)

// TestRootConvergeSaysWhatItRewrote: up tells its user what it changed,
// so Converge names the chains it rewrote, and none when all matched.
func TestRootConvergeSaysWhatItRewrote(t *testing.T) {
	_, path := newNS(t)
	first, err := Converge(path, lab, refRules())
	if err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 {
		t.Error("the first Converge wrote rules, yet names no chain")
	}
	again, err := Converge(path, lab, refRules())
	if err != nil || len(again) != 0 {
		t.Errorf("a second Converge = %q, %v; want nothing rewritten", again, err)
	}
	ensure(t, path, refRules()[:len(refRules())-1]) // a rule lost, as by hand
	last := refRules()[len(refRules())-1]
	chain := last.Chain
	if chain == LabChain {
		chain = ChainName(lab) // reported by the name iptables knows
	}
	fixed, err := Converge(path, lab, refRules())
	if err != nil || !slices.Contains(fixed, last.Table+" "+chain) {
		t.Errorf("Converge after a rule was lost = %q, %v; want it to name %s %s", fixed, err, last.Table, chain)
	}
}
