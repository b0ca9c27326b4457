package labs

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/topology"
)

func TestFlapPhase(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		at   time.Duration
		down bool
		next time.Duration
	}{
		{0, true, 5 * time.Second},
		{4 * time.Second, true, 5 * time.Second},
		{5 * time.Second, false, 10 * time.Second},
		{9 * time.Second, false, 10 * time.Second},
		{10 * time.Second, true, 15 * time.Second},
		{23 * time.Second, true, 25 * time.Second},
	} {
		down, next := flapPhase(t0, 10*time.Second, t0.Add(tc.at))
		if down != tc.down || !next.Equal(t0.Add(tc.next)) {
			t.Errorf("at %s: down %v until %s, want %v until %s", tc.at, down, next.Sub(t0), tc.down, tc.next)
		}
	}
}

func TestStatField(t *testing.T) {
	stat := []byte("4241 (ovs lab) S 1 4241 4241 0 -1 4194560 20 0 0 0 0 0 0 0 20 0 9 0 432991 1644072 3976")
	if got := statField(stat, 2); got != "ovs lab" {
		t.Errorf("comm %q", got)
	}
	if got := statField(stat, 3); got != "S" {
		t.Errorf("state %q", got)
	}
	if got := statField(stat, 22); got != "432991" {
		t.Errorf("starttime %q", got)
	}
	if got := statField(stat, 99); got != "" {
		t.Errorf("field 99 %q", got)
	}
	self, err := procStart(os.Getpid())
	if err != nil || self == 0 {
		t.Errorf("procStart(self) = %d, %v", self, err)
	}
}

// TestStopFlapperLeavesOthers: a recorded PID now running something else,
// or started at another time, is never signalled.
func TestStopFlapperLeavesOthers(t *testing.T) {
	start, err := procStart(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []flapperRecord{
		{PID: os.Getpid(), Start: start},     // this test binary, not running a flap
		{PID: os.Getpid(), Start: start + 1}, // another start time
		{PID: 0},
	} {
		if isFlapper(r) {
			t.Errorf("%+v taken for a flap", r)
		}
		if err := stopFlapper(r); err != nil {
			t.Errorf("stopFlapper(%+v): %v", r, err)
		}
	}
}

// TestFaultRecordedBeforeChange: a change that fails leaves its record,
// unapplied, so the next run knows what may be half made.
func TestFaultRecordedBeforeChange(t *testing.T) {
	old := RunRoot
	RunRoot = t.TempDir()
	t.Cleanup(func() { RunRoot = old })
	st := &State{Lab: "rec", Mode: ModeEmulated, Hosts: []string{"host1"}, Stage: "s1"}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	top, err := topology.Parse("rec.yaml", []byte(`name: rec
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
stages:
  - name: s1
    text: t
    faults:
      - {kind: down, on: host1}
`))
	if err != nil {
		t.Fatal(err)
	}
	top.ForEmulation(false)
	p, _ := top.Plan("host1")
	e := faultEnv{j: newJournal(st), t: top, plans: map[string]*topology.HostPlan{"host1": p}}
	f := top.Stages[0].Faults[0]
	recs, skip, err := e.resolve(context.Background(), f, "s1", 0)
	if err != nil || skip != "" || len(recs) != 1 || recs[0].Link != "eth0" {
		t.Fatalf("resolve: %+v %q %v", recs, skip, err)
	}
	// The host's netns does not exist here: the change fails.
	if err := e.apply(context.Background(), f, recs[0]); err == nil {
		t.Fatal("down on a host without netns worked")
	}
	got, err := LoadState("rec")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Faults) != 1 || got.Faults[0].Applied || got.Faults[0].Kind != "down" || got.Faults[0].Link != "eth0" {
		t.Errorf("recorded faults %+v, want one unapplied down on eth0", got.Faults)
	}
}

func TestHolds(t *testing.T) {
	h := holds{
		{Kind: "down", Host: "host1", Link: "eth0"},
		{Kind: "mtu", Host: "host2", Link: "host2", Router: true},
		{Kind: "flap", Host: "host2", Link: "vb2"},
		{Kind: "stop", Host: "host2", Docker: "lab-c2"},
		{Kind: "forward-off", Host: "host1"},
		{Kind: "address", Host: "host1", Docker: "lab-b1", Iface: "eth0", Link: "vb1"},
		{Kind: "route", Host: "host1", Docker: "lab-b1"},
		{Kind: "impair", Host: "host1", Link: "vb1"},
	}
	switch {
	case !h.linkDown("host1", "eth0") || h.linkDown("host2", "eth0"):
		t.Error("linkDown")
	case !h.linkDown("host2", "vb2"):
		t.Error("a flap holds its link's state")
	case !h.routerMTU("host2") || h.routerMTU("host1") || h.has("mtu", "host2", "host2"):
		t.Error("routerMTU: the router's side is not the host's")
	case !h.stopped("lab-c2") || h.stopped("lab-c1"):
		t.Error("stopped")
	case !h.forwardOff("host1") || h.forwardOff("host2"):
		t.Error("forwardOff")
	}
	got := h.link("host1", "lab-b1", topology.InterfacePlan{Name: "eth0", HostVeth: "vb1"})
	if !got.Address || !got.Route || !got.HostQdisc || got.HostState {
		t.Errorf("link hold %+v", got)
	}
	if got := h.link("host1", "lab-a1", topology.InterfacePlan{Name: "eth0", HostVeth: "va1"}); got.Address || got.Route || got.HostQdisc || got.HostState {
		t.Errorf("a link no fault holds: %+v", got)
	}
	if n := len(h.onHost("host2")); n != 2 || strings.Contains(h.onHost("host2")[0].Kind, "mtu") {
		t.Errorf("onHost(host2) %d records: the router's side is not host2's own", n)
	}
}
