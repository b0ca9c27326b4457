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

// TestRootRealHostDownsOverlap: the last two real-host labs sharing a
// host's ip_forward and NIC MTU go down at once, each releasing them
// under the machine lock while the other's state still exists (a down
// removes its state only after the lock). The first must leave both to
// the second, and the second put back the machine's own: had the first
// not let go in its state, the second would take it for still up, and
// neither would.
func TestRootRealHostDownsOverlap(t *testing.T) {
	testenv.Require(t, "ip")
	ns := testenv.Netns(t, "ovslabrel")
	testenv.Run(t, "ip", "-n", ns, "link", "add", "eth0", "mtu", "1554", "type", "veth", "peer", "name", "eth0p")
	if _, err := nat.SetIPForward(nsutil.Path(ns), true); err != nil {
		t.Fatal(err)
	}
	orig := RunRoot
	t.Cleanup(func() { RunRoot = orig })
	RunRoot = t.TempDir()
	var states []*State
	for _, lab := range []string{"rel-a", "rel-b"} {
		st := &State{Lab: lab, Mode: ModeReal, Restore: map[string]*hostRestore{
			"host1": {IPForward: "0", MTU: map[string]int{"eth0": 1500}},
		}}
		if err := st.Save(); err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	look := func() (string, int) {
		t.Helper()
		on, err := nat.IPForward(nsutil.Path(ns))
		if err != nil {
			t.Fatal(err)
		}
		n, err := nsutil.OpenNamed(ns)
		if err != nil {
			t.Fatal(err)
		}
		defer n.Close()
		mtu, err := n.LinkMTU("eth0")
		if err != nil {
			t.Fatal(err)
		}
		return map[bool]string{true: "1", false: "0"}[on], mtu
	}
	ctx := context.Background()
	if err := releaseHost(ctx, nsutil.Path(ns), states[0], states[0].Restore["host1"]); err != nil {
		t.Fatal(err)
	}
	if ipf, mtu := look(); ipf != "1" || mtu != 1554 {
		t.Errorf("after %s let go: ip_forward %s, eth0 MTU %d; want 1 and 1554, still %s's", states[0].Lab, ipf, mtu, states[1].Lab)
	}
	if err := releaseHost(ctx, nsutil.Path(ns), states[1], states[1].Restore["host1"]); err != nil {
		t.Fatal(err)
	}
	if ipf, mtu := look(); ipf != "0" || mtu != 1500 {
		t.Errorf("after both let go: ip_forward %s, eth0 MTU %d; want the machine's own 0 and 1500", ipf, mtu)
	}
}
