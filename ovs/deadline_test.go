package ovs

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// shortCalls makes ovsdb-server calls give up after d for one test.
func shortCalls(t *testing.T, d time.Duration) {
	old := callTimeout
	callTimeout = d
	t.Cleanup(func() { callTimeout = old })
}

// silentSocket listens on a unix socket, accepts every connection and
// never answers: a daemon that is there but stuck.
func silentSocket(t *testing.T) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "db.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return sock
}

// bounded runs fn and fails the test if it has not returned long after
// the bound it should keep: a hang is a failure, not a slow pass.
func bounded(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(callTimeout + 10*time.Second):
		t.Fatalf("still waiting %s after a bound of %s: the call hangs", callTimeout+10*time.Second, callTimeout)
		return nil
	}
}

// wantNamed checks that err says which daemon at which endpoint did not
// answer.
func wantNamed(t *testing.T, err error, endpoint string) {
	t.Helper()
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("got %v, want ErrNoAnswer", err)
	}
	for _, want := range []string{"ovsdb-server", endpoint, "did not answer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// TestConnectNoAnswer: an endpoint that accepts and never answers is an
// error naming ovsdb-server and the endpoint, within the bound, even for a
// caller whose context has no deadline.
func TestConnectNoAnswer(t *testing.T) {
	shortCalls(t, time.Second)
	endpoint := "unix:" + silentSocket(t)
	err := bounded(t, func() error {
		c, err := Connect(context.Background(), endpoint)
		if err == nil {
			c.Close()
		}
		return err
	})
	wantNamed(t, err, endpoint)
}

// TestRootStoppedOVSDBServer: a real ovsdb-server that stops answering
// (SIGSTOP: its sockets still accept) after ovslab connected. The next
// transaction, and a new connect, are errors naming it within the bound.
func TestRootStoppedOVSDBServer(t *testing.T) {
	h := startHost(t)
	shortCalls(t, 2*time.Second)
	b, err := os.ReadFile(filepath.Join(h.runDir, ovsdbServer+".pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Registered after startHost's: runs first, so the daemons can exit.
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) })
	endpoint := Endpoint(h.runDir)
	wantNamed(t, bounded(t, func() error { return h.c.Apply(context.Background(), lab, labBridges()) }), endpoint)
	wantNamed(t, bounded(t, func() error { return h.c.DeleteLab(context.Background(), lab) }), endpoint)
	wantNamed(t, bounded(t, func() error {
		c, err := Connect(context.Background(), endpoint)
		if err == nil {
			c.Close()
		}
		return err
	}), endpoint)
}
