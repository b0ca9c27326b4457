package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs"
)

// fakeEmulatedLab records state for an emulated lab that has nothing on
// the machine: enough for commands to find it, and for a test to see that
// they refuse before reaching for its (missing) daemons.
func fakeEmulatedLab(t *testing.T, lab string) string {
	t.Helper()
	dir, err := labs.Dir(lab)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatalf("%s exists: a lab %s is up here", dir, lab)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	st := &labs.State{Lab: lab, Mode: labs.ModeEmulated, Hosts: []string{"host1"}, Complete: true}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "state.json")
}

// TestRootNonRootIsToldItNeedsRoot runs the binary as nobody: commands
// that touch the machine say they need root, with exit 2, before trying
// anything; answers that need no root (a lab that is not here, the list
// of labs) still come.
func TestRootNonRootIsToldItNeedsRoot(t *testing.T) {
	testenv.Require(t, "setpriv")
	// nobody must reach the binary and the file.
	shared, err := os.MkdirTemp("", "pc-nonroot")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(shared) })
	for _, d := range []string{filepath.Dir(bin), shared} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(shared, "topology.yaml")
	text := strings.Replace(validFile, "name: cli-ok", "name: pc-nonroot", 1)
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	here := "pc-nonroot-here"
	state := fakeEmulatedLab(t, here)
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	asNobody := func(args ...string) result {
		t.Helper()
		return runCmd(t, shared, append([]string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", bin}, args...)...)
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"up emulated", []string{"up", "--emulate", file}, "up needs root: it changes network namespaces, Open vSwitch"},
		{"up real host", []string{"up", file, "--host", "host1"}, "up needs root"},
		{"down", []string{"down", here}, "down needs root"},
		{"status", []string{"status", here}, "status needs root: it reads network namespaces"},
		{"check", []string{"check", here}, "check needs root"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := asNobody(tc.args...)
			if r.code != 2 || r.stdout != "" {
				t.Fatalf("want exit 2 and no stdout, got %s", r)
			}
			if !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, "run it as root (sudo ovslab ") {
				t.Errorf("stderr lacks %q and how to run it:\n%s", tc.want, r.stderr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(labs.RunRoot, "pc-nonroot")); err == nil {
		t.Error("a refused up left /run/ovslab/pc-nonroot")
	}
	if after, err := os.ReadFile(state); err != nil || string(after) != string(before) {
		t.Errorf("a refused down changed the lab's state: %v\n%s", err, after)
	}

	if r := asNobody("down", "nosuchlab-pc"); r.code != 0 || !strings.Contains(r.stderr, "no lab nosuchlab-pc on this machine: nothing to remove") {
		t.Errorf("down of a lab not here as nobody: %s", r)
	}
	if r := asNobody("status"); r.code != 0 || !strings.Contains(r.stdout, here) {
		t.Errorf("status (the list of labs) as nobody: %s", r)
	}
	if r := asNobody("validate", file); r.code != 0 {
		t.Errorf("validate as nobody: %s", r)
	}
}

// TestRootOVSDBFlagOnEmulatedLab: an emulated lab's hosts each have their
// own OVSDB, so --ovsdb given for one is a contradiction, not a flag to
// ignore.
func TestRootOVSDBFlagOnEmulatedLab(t *testing.T) {
	testenv.Require(t)
	lab := "pc-ovsdb-flag"
	fakeEmulatedLab(t, lab)
	for _, cmd := range []string{"down", "status", "check"} {
		t.Run(cmd, func(t *testing.T) {
			r := ovslab(t, cmd, lab, "--ovsdb", "unix:/x.sock")
			if r.code != 2 || r.stdout != "" {
				t.Fatalf("want exit 2 and no stdout, got %s", r)
			}
			if want := "--ovsdb unix:/x.sock contradicts lab " + lab + ", which is emulated"; !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		})
	}
	if _, err := labs.LoadState(lab); err != nil {
		t.Errorf("the refused down removed the lab: %v", err)
	}
}

// TestRootDownWithoutArgFindsMarkedLab: with no lab's state here, `down`
// without an argument takes the one lab found by its marks (here a marked
// namespace, as a reboot of an emulated lab's machine would not leave, but
// a cleaned /run would) and removes it.
func TestRootDownWithoutArgFindsMarkedLab(t *testing.T) {
	testenv.Require(t, "ip")
	if names, _ := labs.Labs(); len(names) > 0 {
		t.Skipf("labs %v have state here: down without an argument would take one of them", names)
	}
	lab := "pc-marked"
	ns := labs.NetnsName(lab, "host1")
	testenv.Run(t, "ip", "netns", "add", ns)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	testenv.Run(t, "ip", "-n", ns, "link", "set", "lo", "alias", "ovslab:"+lab+":host1")
	if u, err := labs.FindUnrecorded(context.Background(), labs.Daemons{}); err != nil || len(u) != 1 {
		t.Skipf("want exactly this one unrecorded lab here, found %v (%v)", u, err)
	}
	r := ovslab(t, "down")
	if r.code != 0 || !strings.Contains(r.stderr, "removed by its marks") {
		t.Fatalf("down without an argument: %s", r)
	}
	if err := exec.Command("ip", "netns", "pids", ns).Run(); err == nil {
		t.Errorf("netns %s still there after down", ns)
	}
}
