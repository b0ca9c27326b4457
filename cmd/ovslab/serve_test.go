package main

import (
	"bufio"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestServeFlags: plain HTTP beyond loopback only when asked, a
// certificate with its key, an address that is one; exit 2 and nothing
// served otherwise.
func TestServeFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "0.0.0.0:7780"}, "reachable from other machines"},
		{[]string{"--listen", "10.1.2.3:7780"}, "--tls-cert and --tls-key, or --insecure-http"},
		{[]string{"--listen", "[::]:7780"}, "reachable from other machines"},
		{[]string{"--listen", ":7780"}, "reachable from other machines"},
		{[]string{"--tls-cert", "c.pem"}, "go together"},
		{[]string{"--tls-key", "k.pem", "--listen", "0.0.0.0:1"}, "go together"},
		{[]string{"--listen", "7780"}, "want HOST:PORT"},
		{[]string{"extra"}, "accepts 0 arg"},
	} {
		r := ovslab(t, append([]string{"serve"}, c.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("serve %v: %s\nwant exit 2 saying %q", c.args, r, c.want)
		}
	}
}

// TestServeStops: ovslab serve answers on the address it prints and,
// on SIGTERM, stops at once, exit 0, leaving no directory of its own.
func TestServeStops(t *testing.T) {
	testenv.Require(t)
	before, _ := filepath.Glob("/run/ovslab-serve-*")
	cmd := exec.Command(bin, "serve", "--listen", "127.0.0.1:0")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	addr := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+)`)
	var base string
	for base == "" && lines.Scan() {
		if m := addr.FindStringSubmatch(lines.Text()); m != nil {
			base = m[1]
		}
	}
	if base == "" {
		t.Fatal("serve did not say where it listens")
	}
	go func() {
		for lines.Scan() {
		}
	}()
	resp, err := http.Get(base + "/api/labs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/labs without a token: %s", resp.Status)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve still runs after SIGTERM")
	}
	after, _ := filepath.Glob("/run/ovslab-serve-*")
	if len(after) > len(before) {
		t.Errorf("serve left %v", after)
	}
}
