package labs

import "testing"

// TestOthersNeed: two real-host labs raised one NIC's MTU and turned on
// ip_forward. The second must record the first's originals, and the first
// to go down must leave both alone.
func TestOthersNeed(t *testing.T) {
	RunRoot = t.TempDir()
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	a := &State{Lab: "a", Mode: ModeReal, Restore: map[string]*HostRestore{
		"h1": {IPForward: "0", MTU: map[string]int{"eth0": 1500}},
	}}
	emu := &State{Lab: "emu", Mode: ModeEmulated, Restore: map[string]*HostRestore{
		"h1": {IPForward: "1", MTU: map[string]int{"eth9": 9000}},
	}}
	for _, st := range []*State{a, emu} {
		if err := st.Save(); err != nil {
			t.Fatal(err)
		}
	}
	n := othersNeed("b")
	if n.ipForward != "0" || n.mtu["eth0"] != 1500 {
		t.Errorf("othersNeed(b) = %+v, want lab a's originals ip_forward 0, eth0 1500", n)
	}
	if _, ok := n.mtu["eth9"]; ok {
		t.Error("an emulated lab's values leaked into a real host's needs")
	}
	if n := othersNeed("a"); n.ipForward != "" || len(n.mtu) != 0 {
		t.Errorf("othersNeed(a) = %+v, want nothing: a is the only real lab", n)
	}
}

func TestLabsListsOnlyLabsWithState(t *testing.T) {
	RunRoot = t.TempDir()
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	if err := (&State{Lab: "x", Mode: ModeReal}).Save(); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir("y"); err != nil {
		t.Fatal(err)
	}
	names, err := Labs()
	if err != nil || len(names) != 1 || names[0] != "x" {
		t.Fatalf("Labs() = %v, %v; want [x]", names, err)
	}
}
