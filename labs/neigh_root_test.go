package labs

import (
	"context"
	"testing"
)

// TestRootNeighbourTableRoom: the kernel's one ARP table is nearly full
// (limits just above the entries it holds). Up must make room for the
// lab before its containers resolve anything, check must pass, and down
// must put back the limits it found.
func TestRootNeighbourTableRoom(t *testing.T) {
	requireLabTools(t)
	const lab = "neigh-room"
	orig, err := readNeighLimits()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := writeNeighLimits(orig); err != nil {
			t.Errorf("put back the machine's neighbour limits %v: %v", orig, err)
		}
	})
	cleanupLab(t, lab)
	entries, err := neighEntries()
	if err != nil {
		t.Fatal(err)
	}
	tight := [3]int{entries, entries + 4, entries + 8}
	if err := writeNeighLimits(tight); err != nil {
		t.Fatal(err)
	}

	upLab(t, labYAML(t, lab, "nr"))
	raised, err := readNeighLimits()
	if err != nil {
		t.Fatal(err)
	}
	if raised[1] <= tight[1] || raised[2] <= tight[2] {
		t.Fatalf("after up the limits are %v, want gc_thresh2/3 above %v", raised, tight)
	}
	st, err := LoadState(lab)
	if err != nil || st.Neigh == nil || st.Neigh.Before != tight || st.Neigh.Set != raised {
		t.Fatalf("state records %+v (err %v), want before %v and set %v", st.Neigh, err, tight, raised)
	}
	rep, err := RunCheck(context.Background(), lab, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !r.OK {
			t.Errorf("check %s %s -> %s failed: %s", r.Kind, r.From, r.To, r.Detail)
		}
	}

	// A no-op up changes nothing more.
	upLab(t, labYAML(t, lab, "nr"))
	if again, _ := readNeighLimits(); again != raised {
		t.Errorf("a second up moved the limits from %v to %v", raised, again)
	}
	if err := Down(context.Background(), lab, Options{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if after, _ := readNeighLimits(); after != tight {
		t.Errorf("after down the limits are %v, want the %v up found", after, tight)
	}
}
