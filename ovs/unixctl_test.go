package ovs

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A control server speaking vswitchd's protocol, answering each request
// after delay. It is this test process, so its socket carries pid, the
// process whose CPU tells AppctlAll whether the "daemon" works meanwhile:
// how long a real vswitchd's main loop takes under load cannot be set.
func fakeControl(t *testing.T, pid int, delay time.Duration) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), fmt.Sprintf("fake.%d.ctl", pid))
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				dec, enc := json.NewDecoder(c), json.NewEncoder(c)
				for {
					var req struct {
						Method string `json:"method"`
						ID     int    `json:"id"`
					}
					if dec.Decode(&req) != nil {
						return
					}
					time.Sleep(delay)
					if enc.Encode(map[string]any{"result": "ok " + req.Method, "error": nil, "id": req.ID}) != nil {
						return
					}
				}
			}()
		}
	}()
	return sock
}

// shortWaits makes a period 200 ms and the busy limit 2 s for one test.
func shortWaits(t *testing.T) {
	oldT, oldL := unixctlTimeout, unixctlBusyLimit
	unixctlTimeout, unixctlBusyLimit = 200*time.Millisecond, 2*time.Second
	t.Cleanup(func() { unixctlTimeout, unixctlBusyLimit = oldT, oldL })
}

// burn keeps this process on the CPU until the test ends.
func burn(t *testing.T) {
	var stop atomic.Bool
	t.Cleanup(func() { stop.Store(true) })
	go func() {
		for x := 0; !stop.Load(); x++ {
			_ = x * x
		}
	}()
}

// idlePID is a process that uses no CPU while the test runs.
func idlePID(t *testing.T) int {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd.Process.Pid
}

func TestAppctlWaitsForABusyDaemon(t *testing.T) {
	shortWaits(t)
	burn(t)
	sock := fakeControl(t, os.Getpid(), 700*time.Millisecond) // 3.5 periods a reply
	out, err := AppctlAll(context.Background(), sock, []AppctlCall{{"fdb/add", nil}, {"fdb/show", nil}})
	if err != nil {
		t.Fatalf("a daemon at work answering late: %v", err)
	}
	if len(out) != 2 || out[1] != "ok fdb/show" {
		t.Fatalf("replies %q", out)
	}
}

func TestAppctlGivesUpOnAnIdleDaemon(t *testing.T) {
	shortWaits(t)
	sock := fakeControl(t, idlePID(t), time.Hour)
	start := time.Now()
	_, err := AppctlAll(context.Background(), sock, []AppctlCall{{"fdb/add", nil}})
	if err == nil || !strings.Contains(err.Error(), "is it hung") {
		t.Fatalf("want a hung daemon named, got %v", err)
	}
	// Two periods at most: the first can be credited with work done
	// before the wait began.
	if d := time.Since(start); d > 10*unixctlTimeout {
		t.Fatalf("gave up after %s, want a few periods of %s", d, unixctlTimeout)
	}
}

// A socket without a PID in its name: the first deadline is final, and
// the error does not guess why.
func TestAppctlDaemonUnknown(t *testing.T) {
	shortWaits(t)
	sock := fakeControl(t, 0, time.Hour)
	unnamed := filepath.Join(filepath.Dir(sock), "daemon.ctl")
	if err := os.Rename(sock, unnamed); err != nil {
		t.Fatal(err)
	}
	_, err := AppctlAll(context.Background(), unnamed, []AppctlCall{{"fdb/add", nil}})
	if err == nil || strings.Contains(err.Error(), "hung") || strings.Contains(err.Error(), "working") {
		t.Fatalf("want a plain timeout, got %v", err)
	}
}

func TestAppctlGivesUpOnADaemonBusyForever(t *testing.T) {
	shortWaits(t)
	burn(t)
	sock := fakeControl(t, os.Getpid(), time.Hour)
	_, err := AppctlAll(context.Background(), sock, []AppctlCall{{"fdb/add", nil}})
	if err == nil || !strings.Contains(err.Error(), "kept working") {
		t.Fatalf("want the busy limit named, got %v", err)
	}
}

func TestAppctlDeadlineOfCallerIsFinal(t *testing.T) {
	shortWaits(t)
	burn(t)
	sock := fakeControl(t, os.Getpid(), time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := AppctlAll(ctx, sock, []AppctlCall{{"fdb/add", nil}}); err == nil {
		t.Fatal("want the caller's deadline to end the call")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s past a 500 ms deadline", d)
	}
}

func TestSocketPID(t *testing.T) {
	for sock, want := range map[string]int{
		"/run/ovslab/lab/h1/ovs-vswitchd.7301.ctl": 7301,
		"ovs-vswitchd.ctl":                         0,
		"/x/ovs-vswitchd.12x.ctl":                  0,
		"/x/db.sock":                               0,
	} {
		if got := socketPID(sock); got != want {
			t.Errorf("socketPID(%q) = %d, want %d", sock, got, want)
		}
	}
}
