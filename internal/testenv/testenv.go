package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Require skips (or under CI fails) the test unless it runs as root and
// every named binary is on PATH.
func Require(t testing.TB, bins ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root")
	}
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			missing(t, fmt.Sprintf("needs %s on PATH (scripts/install-deps.sh installs it)", b))
		}
	}
}

// RequireDocker is Require plus a reachable Docker daemon.
func RequireDocker(t testing.TB) {
	t.Helper()
	Require(t, "docker")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "docker", "info").CombinedOutput(); err != nil {
		missing(t, fmt.Sprintf("needs a running dockerd (scripts/start-daemons.sh): %v: %s", err, firstLine(out)))
	}
}

func missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI must provide it)", why)
	}
	t.Skip(why)
}

// Run runs a command and fails the test with its output if it fails.
func Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Netns creates a throwaway named network namespace with loopback up and
// deletes it when the test ends, pass or fail. It returns the netns name;
// its path is /run/netns/<name>.
func Netns(t testing.TB, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
	Run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", name).Run() })
	Run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}

// Eventually polls cond every 50ms until it returns nil or timeout passes,
// then fails the test with cond's last error.
func Eventually(t testing.TB, timeout time.Duration, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Background runs fn over and over in a goroutine until the returned stop
// is called or fn returns false; stop waits for the goroutine to end.
// For load that must go on while a test looks elsewhere.
func Background(fn func() bool) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			if !fn() {
				return
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
