package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// silentSocket accepts every connection on a unix socket and never
// answers: a daemon that is there but stuck.
func silentSocket(t *testing.T, name string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), name)
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

// TestDaemonsNoAnswer: with dockerd (DOCKER_HOST) and ovsdb-server
// (--ovsdb) both accepting and never answering, the preflight that up
// --all runs on each host exits 1 naming both, with their addresses,
// within the 30 s the docs promise, instead of waiting forever.
func TestDaemonsNoAnswer(t *testing.T) {
	docker := "unix://" + silentSocket(t, "docker.sock")
	db := "unix:" + silentSocket(t, "db.sock")
	dir := t.TempDir()
	src, err := os.ReadFile("../../labs/catalog/l3-vxlan/topology.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "lab.yaml")
	lab := strings.Replace(string(src), "name: l3-vxlan", "name: no-answer-t", 1)
	if err := os.WriteFile(file, []byte(lab), 0o644); err != nil {
		t.Fatal(err)
	}
	// A hang is a failure, not a slow pass: the command is killed well
	// after its bound.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, bin, "preflight", file, "--host", "host1", "--ovsdb", db)
	c.Env = append(os.Environ(), "DOCKER_HOST="+docker)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	err = c.Run()
	if ctx.Err() != nil {
		t.Fatalf("preflight still waiting on the stuck daemons after 90 s:\n%s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("preflight: %v, want exit 1\n%s", err, stderr.String())
	}
	for _, want := range []string{"dockerd at " + docker + " did not answer", "ovsdb-server at " + db + " did not answer"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr.String())
		}
	}
}
