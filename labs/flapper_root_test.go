package labs

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/topology"
)

// TestRootFlapToggles runs a flap on a veth of a netns of its own: the
// link goes down, up and down again on the period, ends up when its time
// is over, and the process is gone; a flap whose record disappears (its
// lab gone) ends without touching the link again.
func TestRootFlapToggles(t *testing.T) {
	testenv.Require(t)
	const lab = "sf-flap"
	ns := NetnsName(lab, "host1")
	if err := nsutil.NewNamed(ns); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = nsutil.DeleteNamed(ns)
		if dir, err := Dir(lab); err == nil {
			_ = os.RemoveAll(dir)
		}
	})
	err := nsutil.InNamed(ns, func(n *nsutil.NS) error {
		if err := nsutil.AddVeth(n, "vf", n, "vf-peer", 1500, nil); err != nil {
			return err
		}
		return n.LinkUp("vf")
	})
	if err != nil {
		t.Fatal(err)
	}
	st := &State{Lab: lab, Mode: ModeEmulated, Hosts: []string{"host1"}}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	e := faultEnv{j: newJournal(st)}
	start := func(period, dur time.Duration) *appliedFault {
		t.Helper()
		rec := &appliedFault{Stage: "s", Kind: topology.FaultFlap, Host: "host1", Link: "vf", Applied: true}
		f := topology.Fault{Kind: topology.FaultFlap, Period: period, For: dur}
		if err := e.startFlap(f, rec, st.hostLocation("host1", "")); err != nil {
			t.Fatal(err)
		}
		if err := e.j.recordFault(rec); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	state := func() string { return linkState(t, lab, "host1", "vf") }

	rec := start(2*time.Second, 5*time.Second)
	if s := state(); s != "down" {
		t.Fatalf("vf is %s right after the flap began, want down", s)
	}
	// down [0,1s), up [1s,2s), down [2s,3s), ...: each change is seen.
	for _, want := range []string{"up", "down", "up"} {
		testenv.Eventually(t, 3*time.Second, func() error {
			if s := state(); s != want {
				return fmt.Errorf("vf is %s, want %s", s, want)
			}
			return nil
		})
	}
	testenv.Eventually(t, 6*time.Second, func() error {
		if isFlapper(*rec.Flapper) {
			return fmt.Errorf("flap %d still runs after its time", rec.Flapper.PID)
		}
		return nil
	})
	if s := state(); s != "up" {
		t.Errorf("vf is %s after the flap ended, want up", s)
	}

	// A flap whose lab is gone stops at its next turn without a change:
	// the record goes while the link is up, and it stays up. The up half
	// is 2s long: the record must go before it ends, even on a busy
	// machine, or the flap rightly takes the link down once more.
	rec = start(4*time.Second, time.Minute)
	testenv.Eventually(t, 5*time.Second, func() error {
		if s := state(); s != "up" {
			return fmt.Errorf("vf is %s, want up", s)
		}
		return nil
	})
	if err := e.j.save(func(st *State) { st.Faults = nil }); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() error {
		if isFlapper(*rec.Flapper) {
			return fmt.Errorf("flap %d still runs without its record", rec.Flapper.PID)
		}
		return nil
	})
	if s := state(); s != "up" {
		t.Errorf("vf is %s: a flap without its record touched it", s)
	}
}
