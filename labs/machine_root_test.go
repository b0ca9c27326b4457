package labs

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
)

// TestRootIPForwardRecordedBeforeChanged: up records ip_forward's value
// before it turns it on, so a run stopped in between (here: the state
// cannot be saved) leaves it as it was, never on with "0" lost.
func TestRootIPForwardRecordedBeforeChanged(t *testing.T) {
	testenv.Require(t)
	ns := testenv.Netns(t, "ovslabipf")
	if _, err := nat.SetIPForward(nsutil.Path(ns), false); err != nil {
		t.Fatal(err)
	}
	orig := RunRoot
	t.Cleanup(func() { RunRoot = orig })
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	RunRoot = filepath.Join(file, "run") // under a file: no state can be saved
	run := hostRun{location: location{host: "h1", netns: ns, emulated: true}, j: newJournal(&State{Lab: "ipf", Mode: ModeEmulated})}
	err := applyNAT(context.Background(), &topology.HostPlan{Lab: "ipf", Host: "h1", IPForward: true}, run)
	if err == nil {
		t.Fatal("applyNAT succeeded with a state it cannot save")
	}
	if on, err := nat.IPForward(nsutil.Path(ns)); err != nil || on {
		t.Errorf("ip_forward on = %v (%v) after up could not record its old value 0", on, err)
	}
}
