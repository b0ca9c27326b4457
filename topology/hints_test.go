package topology

import (
	"strings"
	"testing"
)

// TestHints: hints: is fix by default, symptoms on request, and any other
// value an error at its line and column naming both.
func TestHints(t *testing.T) {
	for _, tc := range []struct{ key, want string }{{"", "fix"}, {"hints: fix\n", "fix"}, {"hints: symptoms\n", "symptoms"}} {
		top, err := Parse("lab.yaml", []byte(tc.key+base))
		if err != nil {
			t.Fatal(err)
		}
		if string(top.Hints) != tc.want {
			t.Errorf("%q: hints %q, want %q", tc.key, top.Hints, tc.want)
		}
	}
	runErrCases(t, []errCase{
		{name: "unknown hints", yaml: "hints: loud\n" + base, line: 1, col: 8, field: "hints",
			msg: `unknown hints "loud"; use symptoms (messages say only what is seen) or fix (they also say what to change, the default)`},
		{name: "hints as a list", yaml: "hints: [fix]\n" + base, line: 1, col: 8, field: "hints", msg: "expected a string"},
	})
}

// TestWarningsBySymptoms: an exercise that asks for symptoms gets up's
// MTU warning as what will be seen, without the fix; fix says both.
func TestWarningsBySymptoms(t *testing.T) {
	topo := loadRef(t)
	topo.Source, topo.Underlay.MTU = "lab.yaml", 1500
	topo.Hints = HintsSymptoms
	w := topo.Warnings()
	if len(w) != 1 || w[0] != "lab.yaml: 1500-byte packets that cross between hosts will be lost, while small ones pass (ping works, TCP stalls)" {
		t.Errorf("symptoms: warnings %q", w)
	}
	for _, s := range w {
		if strings.Contains(s, "underlay.mtu") || strings.Contains(s, "1554") || strings.Contains(s, "set ") {
			t.Errorf("symptoms: %q names the fix", s)
		}
	}
	topo.Hints = HintsFix
	if w := topo.Warnings(); len(w) != 1 || !strings.Contains(w[0], "set underlay.mtu: 1554") {
		t.Errorf("fix: warnings %q, want the fix", w)
	}
}

// TestWarningsNameTheGateways: with every container interface lowered to
// fit the underlay (the second fix of mtu-broken), what is still too big
// is the gateways' 1500-byte frames, and the warning says so.
func TestWarningsNameTheGateways(t *testing.T) {
	topo := loadRef(t)
	topo.Source, topo.Underlay.MTU = "lab.yaml", 1500
	for i := range topo.Containers {
		topo.Containers[i].Interfaces[0].MTU = 1450
	}
	w := topo.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "1500-byte frames from the networks' gateways (MTU 1500) inside VXLAN will be dropped") {
		t.Errorf("warnings %q, want one naming the gateways", w)
	}
}

// TestStageHints: a stage's hints: replaces the file's while it is the
// current stage; a stage without one, or no stage, keeps the file's.
func TestStageHints(t *testing.T) {
	stages := "stages:\n  - name: s1\n    text: first\n  - name: s2\n    text: second\n    hints: symptoms\n"
	top, err := Parse("lab.yaml", []byte(base+stages))
	if err != nil {
		t.Fatal(err)
	}
	for stage, want := range map[string]Hints{"": HintsFix, "s1": HintsFix, "s2": HintsSymptoms, "gone": HintsFix} {
		if got := top.HintsIn(stage); got != want {
			t.Errorf("stage %q: hints %q, want %q", stage, got, want)
		}
	}
	_, err = Parse("lab.yaml", []byte(base+strings.Replace(stages, "symptoms", "loud", 1)))
	if err == nil || !strings.Contains(err.Error(), `stages[1].hints: unknown hints "loud"`) {
		t.Errorf("bad stage hints: error %v, want one at stages[1].hints", err)
	}
}
