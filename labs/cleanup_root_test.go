package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// cleanLab runs Down and then removes what Down left. It returns what it
// had to remove by hand and Down's error.
func cleanLab(t *testing.T, lab string) ([]string, error) {
	t.Helper()
	if _, err := Dir(lab); err != nil {
		return nil, err // never let a bad name reach RunRoot or other labs
	}
	// Read before Down deletes the state that records them.
	netns := labNetnsNames(lab)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := Down(ctx, lab, DownOptions{})
	for n, recorded := range labNetnsNames(lab) {
		netns[n] = netns[n] || recorded
	}
	return removeLeftovers(t, lab, netns), err
}

// labNetnsNames maps each netns name lab may have made to whether its state
// records it: <lab>-<host> for every host the state names or that has a run
// dir, <lab>-router and <lab>-wan, and every netns the state lists.
func labNetnsNames(lab string) map[string]bool {
	names := map[string]bool{NetnsName(lab, routerNode): false, NetnsName(lab, wanNode): false}
	if st, err := LoadState(lab); err == nil {
		for _, h := range st.Hosts {
			names[NetnsName(lab, h)] = false
		}
		for _, n := range st.Netns {
			names[n] = true
		}
	}
	dirs, _ := os.ReadDir(filepath.Join(RunRoot, lab))
	for _, d := range dirs {
		if _, known := names[NetnsName(lab, d.Name())]; d.IsDir() && !known {
			names[NetnsName(lab, d.Name())] = false
		}
	}
	return names
}

// removeLeftovers removes what a lab of that name may have left on the
// machine, and nothing of any other lab: containers labelled with exactly
// this lab, OVS daemons serving a run dir under RunRoot/<lab>/, the given
// netns, and RunRoot/<lab>. A netns name the lab's state did not record is
// left alone when another lab on the machine could own it (lab "a" with
// host "b-h1" and lab "a-b" with host "h1" share "a-b-h1"). It returns
// what it removed; failures to remove fail the test.
func removeLeftovers(t *testing.T, lab string, netns map[string]bool) []string {
	t.Helper()
	root, err := Dir(lab)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return nil
	}
	var removed []string

	var out []byte
	if !testenv.InVM() { // no dockerd in the test VM
		out, err = exec.Command("docker", "ps", "-a", "--filter", "label="+labelLab+"="+lab, "--format", "{{.ID}} {{.Names}}").Output()
	}
	if err != nil {
		t.Errorf("cleanup: list containers of %s: %v", lab, err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		id, name, ok := strings.Cut(l, " ")
		if !ok {
			continue
		}
		if out, err := exec.Command("docker", "rm", "-f", id).CombinedOutput(); err != nil {
			t.Errorf("cleanup: docker rm -f %s (%s): %v\n%s", name, id, err, out)
			continue
		}
		removed = append(removed, "container "+name)
	}

	for pid, what := range labDaemons(root) {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			t.Errorf("cleanup: kill %s: %v", what, err)
			continue
		}
		if !waitGone(pid, 10*time.Second) {
			t.Errorf("cleanup: %s still running after SIGKILL", what)
			continue
		}
		removed = append(removed, what)
	}

	names := make([]string, 0, len(netns))
	for n := range netns {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if !nsutil.Exists(n) {
			continue
		}
		if other := otherLabOwning(lab, n); other != "" && !netns[n] {
			t.Logf("cleanup: left netns %s: not recorded by %s, and lab %s may own it", n, lab, other)
			continue
		}
		if out, err := exec.Command("ip", "netns", "delete", n).CombinedOutput(); err != nil {
			t.Errorf("cleanup: ip netns delete %s: %v\n%s", n, err, out)
			continue
		}
		removed = append(removed, "netns "+n)
	}

	if _, err := os.Stat(root); err == nil {
		if err := os.RemoveAll(root); err != nil {
			t.Errorf("cleanup: %v", err)
		} else {
			removed = append(removed, root)
		}
	}
	return removed
}

// ovsDaemons are the daemons an emulated host runs, as their pidfiles and
// binaries are named.
var ovsDaemons = []string{"ovsdb-server", "ovs-vswitchd"}

// labDaemons finds the live OVS daemons serving a run dir under root, by
// their pidfiles and, for a daemon whose pidfile is gone (a down that
// failed to stop it still removes the run dir), by its command line. A pid
// counts only if its command line names the run dir, so a reused pid is
// never killed.
func labDaemons(root string) map[int]string {
	found := map[int]string{}
	for _, d := range ovsDaemons {
		files, _ := filepath.Glob(filepath.Join(root, "*", d+".pid"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			pid, perr := strconv.Atoi(strings.TrimSpace(string(b)))
			runDir := filepath.Dir(f)
			if err == nil && perr == nil && pid > 0 && serves(pid, runDir) {
				found[pid] = fmt.Sprintf("%s pid %d (%s)", d, pid, runDir)
			}
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil || found[pid] != "" || !serves(pid, root) {
			continue
		}
		found[pid] = fmt.Sprintf("%s pid %d (no pidfile, under %s)", daemonName(pid), pid, root)
	}
	return found
}

// serves reports whether pid is an OVS daemon whose command line names a
// path under dir. A zombie has an empty command line: it is not running.
func serves(pid int, dir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	return slices.Contains(ovsDaemons, daemonName(pid)) && strings.Contains(string(b), dir+"/")
}

func daemonName(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	argv0, _, _ := strings.Cut(string(b), "\x00")
	return filepath.Base(argv0)
}

// waitGone waits until pid has exited (or is a zombie nobody reaps).
func waitGone(pid int, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return true
		}
	}
	return false
}

// otherLabOwning names another lab on this machine whose netns names could
// include n, or "".
func otherLabOwning(lab, n string) string {
	entries, _ := os.ReadDir(RunRoot)
	for _, e := range entries {
		if e.IsDir() && e.Name() != lab && strings.HasPrefix(n, e.Name()+"-") {
			return e.Name()
		}
	}
	return ""
}

// TestRootCleanupAfterFailedDown: when Down fails and keeps everything,
// the tests' cleanup still removes the lab, and leaves alone a lab whose
// name extends it even where their netns names collide.
func TestRootCleanupAfterFailedDown(t *testing.T) {
	requireLabTools(t)
	const lab, other = "cu-a", "cu-a-b" // lab's host b-h1 has netns cu-a-b-h1, as other's h1 would
	cleanupLab(t, lab)
	cleanupLab(t, other)
	src, err := sourceFromData("cleanup.yaml", []byte(`name: `+lab+`
hosts:
  b-h1: {underlay: 172.16.31.100/24, gateway: 172.16.31.1}
networks:
  n1: {subnet: 10.9.2.0/24, vni: 901, gateway: {host: b-h1}}
containers:
  cuac1: {host: b-h1, image: ovslab/busybox, command: [sleep, infinity], network: n1, address: 10.9.2.10}
`))
	if err != nil {
		t.Fatal(err)
	}
	if err := Up(context.Background(), src, UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up: %v", err)
	}

	// What a half-made lab "cu-a-b" left: a host run dir and a container.
	if err := os.MkdirAll(HostRunDir(other, "h1"), 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.Run(t, "docker", "run", "-d", "--name", "cuabc1", "--net", "none", "--label", labelLab+"="+other, "ovslab/busybox", "sleep", "infinity")
	// Down finds the half-made lab's container by its label, and leaves
	// netns cu-a-b-h1 alone: its mark says it is cu-a's.
	left, err := cleanLab(t, other)
	t.Logf("cleaning %s: removed %q, down: %v", other, left, err)
	if err != nil || len(left) > 0 {
		t.Errorf("cleaning %s: down %v, removed %q by hand; want down to remove everything", other, err, left)
	}
	if containerIDs(t, "cuabc1")["cuabc1"] != "" {
		t.Errorf("container cuabc1 of %s left after its down", other)
	}
	if !nsutil.Exists(NetnsName(lab, "b-h1")) {
		t.Fatalf("cleaning %s removed netns %s of lab %s", other, NetnsName(lab, "b-h1"), lab)
	}
	requireHealthy(t, lab)

	// Down without Docker fails, keeping the state and the container; the
	// cleanup removes what it left.
	netns := labNetnsNames(lab)
	docker, had := os.LookupEnv("DOCKER_HOST")
	os.Setenv("DOCKER_HOST", "unix:///nonexistent.sock")
	err = Down(context.Background(), lab, DownOptions{})
	if had {
		os.Setenv("DOCKER_HOST", docker)
	} else {
		os.Unsetenv("DOCKER_HOST")
	}
	if err == nil {
		t.Fatal("down without Docker succeeded; the test no longer exercises the fallback")
	}
	left = removeLeftovers(t, lab, netns)
	got := strings.Join(left, "\n")
	for _, want := range []string{"container cuac1", filepath.Join(RunRoot, lab)} {
		if !strings.Contains(got, want) {
			t.Errorf("cleaning %s after a failed down did not remove %q; removed:\n%s", lab, want, got)
		}
	}
	assertGone(t, lab)
}
