package procs

import (
	"fmt"
	"os/exec"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestKillSession starts a session with a job in a process group of its
// own, kills the session and checks every process of it is gone.
func TestKillSession(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "set -m; sleep 300 & sleep 301")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sid := cmd.Process.Pid
	var pids []int
	testenv.Eventually(t, 10*time.Second, func() error {
		var err error
		if pids, err = Session(sid); err == nil && len(pids) < 3 {
			err = fmt.Errorf("session %d: %v, want sh and two sleeps", sid, pids)
		}
		return err
	})
	if !slices.Contains(pids, sid) {
		t.Errorf("session %d: %v does not hold its leader", sid, pids)
	}
	n, err := KillSession(sid)
	if err != nil || n < 3 {
		t.Fatalf("KillSession: %d killed, %v", n, err)
	}
	_ = cmd.Wait()
	left, _ := Session(sid)
	for _, pid := range left {
		if !zombie(pid) {
			t.Errorf("pid %d of session %d survived", pid, sid)
		}
	}
}

func TestKillSessionRefusesInit(t *testing.T) {
	for _, sid := range []int{0, 1, -5} {
		if _, err := KillSession(sid); err == nil {
			t.Errorf("KillSession(%d) accepted", sid)
		}
	}
}
