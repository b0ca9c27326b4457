package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// killDaemon SIGKILLs an emulated host's OVS daemon, as a crash would,
// and waits until the process is gone. It returns the dead pid.
func killDaemon(t *testing.T, lab, host, daemon string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(HostRunDir(lab, host), daemon+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("%s pidfile: %v", daemon, err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill %s %d: %v", daemon, pid, err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return nil // gone, or a zombie nobody has reaped yet
		}
		return fmt.Errorf("%s %d still running", daemon, pid)
	})
	return pid
}

func hostStatus(t *testing.T, lab, host string) HostStatus {
	t.Helper()
	s, err := GetStatus(context.Background(), lab, StatusOptions{})
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	for _, h := range s.Hosts {
		if h.Name == host {
			return h
		}
	}
	t.Fatalf("status of %s has no host %s", lab, host)
	return HostStatus{}
}

func TestRootFaultDockerUnreachable(t *testing.T) {
	requireLabTools(t)
	const lab = "ft-nodocker"
	cleanupLab(t, lab) // registered first, so it runs with DOCKER_HOST restored
	const endpoint = "unix:///nonexistent.sock"
	t.Setenv("DOCKER_HOST", endpoint)
	start := time.Now()
	err := Up(context.Background(), mustSource(t, labYAML(t, lab, "ftn")), UpOptions{Emulate: true})
	t.Logf("failed up took %s: %v", time.Since(start), err)
	if err == nil {
		t.Fatal("up succeeded without Docker")
	}
	msg := err.Error()
	for _, want := range []string{endpoint, "dockerd", "DOCKER_HOST"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not name %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line:\n%s", msg)
	}
	if ns := labNetns(t, lab); len(ns) > 0 {
		t.Errorf("failed up created netns %v", ns)
	}
	if _, err := os.Stat(filepath.Join(RunRoot, lab)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed up left %s (%v)", filepath.Join(RunRoot, lab), err)
	}
	if labs, err := Labs(); err != nil || slices.Contains(labs, lab) {
		t.Errorf("labs after the failed up: %v, %v; want no %s", labs, err, lab)
	}
}

func TestRootFaultDaemonsKilled(t *testing.T) {
	requireLabTools(t)
	const lab, p = "ft-daemons", "ftd"
	cleanupLab(t, lab)
	text := labYAML(t, lab, p)
	upTimed(t, text)
	requireHealthy(t, lab) // status can say "up", so its "down" below means something

	t.Run("ovs-vswitchd killed on host1", func(t *testing.T) {
		dead := killDaemon(t, lab, "host1", "ovs-vswitchd")
		if hostStatus(t, lab, "host1").VswitchdUp {
			t.Errorf("status says ovs-vswitchd %d is up after kill -9", dead)
		}
		t.Logf("repairing up took %s", upTimed(t, text))
		requireHealthy(t, lab)
		mustReach(t, containerPid(t, p+"doc1"), "doc1", "10.0.1.20")
		mustReach(t, containerPid(t, p+"doc3"), "doc3", "10.0.1.1")
		mustReach(t, containerPid(t, p+"doc3"), "doc3", "198.51.100.1") // NAT on host1 again
	})
	t.Run("ovsdb-server killed on host2", func(t *testing.T) {
		killDaemon(t, lab, "host2", "ovsdb-server")
		if hostStatus(t, lab, "host2").OVSDBUp {
			t.Error("status says host2's OVSDB is up after kill -9")
		}
		t.Logf("repairing up took %s", upTimed(t, text))
		requireHealthy(t, lab)
		if out := mustVsctl(t, lab, "host2", "list-br"); !strings.Contains(out, "br1") {
			t.Errorf("host2 bridges after up: %s", out)
		}
		mustReach(t, containerPid(t, p+"doc1"), "doc1", "10.0.1.20")
		mustReach(t, containerPid(t, p+"doc4"), "doc4", "10.0.2.1")
	})
}

// cancelledUp runs an up that is cancelled when host2's OVS step starts,
// i.e. with host1 done and host2's containers made, and returns its error.
func cancelledUp(t *testing.T, name, text string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seen := false
	err := Up(ctx, mustSource(t, text), UpOptions{Emulate: true, Reporter: Reporter{Progress: func(format string, args ...any) {
		if line := fmt.Sprintf(format, args...); strings.HasPrefix(line, "host2: OVS bridges") {
			seen = true
			cancel()
		}
	}}})
	if !seen {
		t.Fatalf("up never reported host2's OVS step (err %v)", err)
	}
	if err == nil {
		t.Fatal("up cancelled part-way returned no error")
	}
	t.Logf("cancelled up: %v", err)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled up's error does not wrap context.Canceled: %v", err)
	}
	st, err := LoadState(name)
	if err != nil {
		t.Fatalf("state after a cancelled up: %v", err)
	}
	if st.Complete {
		t.Error("state after a cancelled up says complete")
	}
	return err
}

func TestRootFaultInterruptedUp(t *testing.T) {
	requireLabTools(t)
	const name, p = "ft-cancel", "ftc"
	cleanupLab(t, name)
	text := labYAML(t, name, p)

	t.Run("down cleans up after it", func(t *testing.T) {
		cancelledUp(t, name, text)
		if err := Down(context.Background(), name, DownOptions{}); err != nil {
			t.Fatalf("down after a cancelled up: %v", err)
		}
		assertGone(t, name)
	})
	t.Run("up finishes it", func(t *testing.T) {
		cancelledUp(t, name, text)
		t.Logf("finishing up took %s", upTimed(t, text))
		st, err := LoadState(name)
		if err != nil || !st.Complete {
			t.Fatalf("state after the finishing up: %+v, %v; want complete", st, err)
		}
		requireHealthy(t, name)
		mustReach(t, containerPid(t, p+"doc1"), "doc1", "10.0.1.20")
		mustReach(t, containerPid(t, p+"doc4"), "doc4", "10.0.2.10")
		mustReach(t, containerPid(t, p+"doc3"), "doc3", "10.0.1.1")
	})
}
