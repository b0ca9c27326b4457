package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

// stepTimeout bounds one command of a walkthrough: the longest (an up
// from nothing, an iperf3 run) take seconds; a command that waits for
// input or for ever fails the test, naming its line, instead of hanging it.
const stepTimeout = 3 * time.Minute

// TestRootWalkthroughs runs every catalog lab's README as a student would,
// word for word (see labs/catalog/doc.go): every ```sh block in order, in
// a fresh directory, with this build of ovslab first on PATH, each
// command held to what its comment promises. The one change is the lab's
// name: it runs as a copy (up --name wt-LAB), so it meets neither a
// student's lab nor another test's. Labs added to the catalog are picked
// up by themselves.
func TestRootWalkthroughs(t *testing.T) {
	for _, tool := range []string{"docker", "ovsdb-server", "ovs-vswitchd", "iptables", "ip", "nsenter", "iperf3", "tcpdump", "tc", "ping", "bash"} {
		testenv.Require(t, tool)
	}
	for _, name := range catalog.Names() {
		t.Run(name, func(t *testing.T) { runWalkthrough(t, name) })
	}
}

func runWalkthrough(t *testing.T, lab string) {
	blocks, err := parseWalkthrough(catalogREADME(t, lab))
	if err != nil {
		t.Fatal(err)
	}
	copyName := "wt-" + lab
	nodes := catalogNodes(t, lab)
	dir := t.TempDir()
	env := append(os.Environ(), "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	down := func() {
		killLeftovers(t, copyName)
		if out, err := exec.Command(bin, "down", copyName).CombinedOutput(); err != nil {
			t.Errorf("ovslab down %s: %v\n%s", copyName, err, out)
		}
	}
	down() // a copy left by an interrupted run
	t.Cleanup(down)
	for _, b := range blocks {
		var bg []*exec.Cmd
		for _, s := range b.steps {
			cmd := forCopy(s.command, lab, copyName, nodes)
			if strings.Contains(cmd, "ovslab down") {
				killLeftovers(t, copyName) // iperf3 servers in the containers, as a student's Ctrl-C would
			}
			if s.want == background {
				bg = append(bg, startBackground(t, dir, env, cmd))
				continue
			}
			out, code := runStep(t, dir, env, cmd)
			t.Logf("README:%d $ %s\n%s(exit %d)", s.line, cmd, out, code)
			if msg := judge(s, out, code); msg != "" {
				t.Fatalf("README:%d: %s\n$ %s\n%s", s.line, msg, cmd, out)
			}
		}
		for _, c := range bg {
			stopBackground(c)
		}
	}
}

// judge says how a command's output and exit code break its promise, or "".
func judge(s step, out string, code int) string {
	switch {
	case s.want == fails && code == 0:
		return "the README says this fails, but it exited 0"
	case s.want == fails && strings.Contains(out, "packets transmitted") && !strings.Contains(out, "100% packet loss"):
		return "the README says this gets no reply, but ping got one"
	case s.want != fails && code != 0:
		return fmt.Sprintf("exit %d, but the README promises it %s", code, s.want)
	case s.want == allPass && !strings.Contains(out, "checks passed"):
		return "the README says every check passes, but check did not say so"
	}
	for _, q := range s.quoted {
		if !strings.Contains(out, q) {
			return fmt.Sprintf("the README promises %q in the output", q)
		}
	}
	return ""
}

// runStep runs one command line with bash, as a student's shell would,
// and returns its output and exit code.
func runStep(t *testing.T, dir string, env []string, command string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	// Output to a file, not a pipe: a daemon the command starts (iperf3
	// -D) keeps a pipe open, and waiting for it would never end.
	f, err := os.CreateTemp(dir, ".out")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	c := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", command)
	c.Dir, c.Env, c.Stdout, c.Stderr = dir, env, f, f
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	err = c.Run()
	out, _ := os.ReadFile(f.Name())
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("$ %s\ndid not finish within %s:\n%s", command, stepTimeout, out)
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("$ %s: %v", command, err)
	}
	return string(out), 0
}

// startBackground starts a command that ends in &, in a process group of
// its own so the end of its block stops all of it.
func startBackground(t *testing.T, dir string, env []string, command string) *exec.Cmd {
	t.Helper()
	c := exec.Command("bash", "-c", strings.TrimSuffix(strings.TrimSpace(stripComment(command)), "&"))
	c.Dir, c.Env = dir, env
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Fatalf("$ %s: %v", command, err)
	}
	t.Cleanup(func() { stopBackground(c) })
	return c
}

func stripComment(command string) string {
	code, _ := splitComment(command)
	return code
}

// stopBackground ends a background command and all it started.
func stopBackground(c *exec.Cmd) {
	if c.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// killLeftovers ends what a walkthrough started that outlives its
// command: iperf3 servers (-D) and tcpdumps in the copy's containers and
// hosts, found by their network namespace. Nothing else of the machine's
// is touched.
func killLeftovers(t *testing.T, copyName string) {
	t.Helper()
	nets := map[string]bool{}
	out, _ := exec.Command("docker", "ps", "-q", "--filter", "label=ovslab.lab="+copyName).Output()
	for _, id := range strings.Fields(string(out)) {
		pid, _ := exec.Command("docker", "inspect", "-f", "{{.State.Pid}}", id).Output()
		if ino := netnsOf("/proc/" + strings.TrimSpace(string(pid)) + "/ns/net"); ino != "" {
			nets[ino] = true
		}
	}
	hosts, _ := filepath.Glob("/run/netns/" + copyName + "-*")
	for _, h := range hosts {
		if ino := netnsOf(h); ino != "" {
			nets[ino] = true
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		comm, _ := os.ReadFile("/proc/" + p.Name() + "/comm")
		switch strings.TrimSpace(string(comm)) {
		case "iperf3", "tcpdump":
		default:
			continue
		}
		if nets[netnsOf("/proc/"+p.Name()+"/ns/net")] {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// netnsOf is the inode that names the network namespace at path, "" if
// none.
func netnsOf(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}
