package labs

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// TestOthersNeed: two real-host labs raised one NIC's MTU and turned on
// ip_forward. The second must record the first's originals, and the first
// to go down must leave both alone.
func TestOthersNeed(t *testing.T) {
	RunRoot = t.TempDir()
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	a := &State{Lab: "a", Mode: ModeReal, Restore: map[string]*hostRestore{
		"h1": {IPForward: "0", MTU: map[string]int{"eth0": 1500}},
	}}
	emu := &State{Lab: "emu", Mode: ModeEmulated, Restore: map[string]*hostRestore{
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

// TestFromStateWithoutBuildDir: status, check and down re-read the lab from
// its state; a build directory removed since up must not make it unreadable,
// while a file given on the command line is still held to it.
func TestFromStateWithoutBuildDir(t *testing.T) {
	dir := t.TempDir()
	text := `name: gone
hosts:
  h1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
networks:
  n1: {subnet: 10.0.1.0/24, vni: 5000}
containers:
  c1: {host: h1, image: mine, build: ./img, network: n1, address: 10.0.1.10}
`
	file := dir + "/lab.yaml"
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve(file)
	if err == nil || !strings.Contains(err.Error(), "lab.yaml:7:") || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Resolve with a missing build dir: %v, want file:line and 'does not exist'", err)
	}
	src, err := fromState(&State{Lab: "gone", Mode: ModeReal, Source: file, Topology: text})
	if err != nil {
		t.Fatalf("fromState after the build dir went: %v", err)
	}
	if got := src.Topo.Containers[0].Build; got != dir+"/img" {
		t.Errorf("build resolved to %q, want %q", got, dir+"/img")
	}
}

// TestStateCutShortIsBadState: a state file cut short (a crash before the
// fsync'd rename existed, or an edit) reads as errBadState, which down and
// up treat as missing state, and Save leaves no temporary file behind.
func TestStateCutShortIsBadState(t *testing.T) {
	RunRoot = t.TempDir()
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	st := &State{Lab: "x", Mode: ModeEmulated, Hosts: []string{"h1"}, Netns: []string{"x-h1"}}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	got, err := LoadState("x")
	if err != nil || got.Mode != ModeEmulated || len(got.Netns) != 1 {
		t.Fatalf("LoadState = %+v, %v; want what was saved", got, err)
	}
	p, _ := statePath("x")
	if _, err := os.Stat(p + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("Save left %s.tmp (%v)", p, err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadState("x"); !errors.Is(err, errBadState) || !strings.Contains(err.Error(), p) {
		t.Errorf("LoadState of a cut-short file: %v, want errBadState naming %s", err, p)
	}
}
