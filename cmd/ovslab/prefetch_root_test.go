package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs"
)

// TestRootUpDockerSilent: up asks Docker for its containers while it
// reads the file (prefetchContainers). With a dockerd that accepts and
// never answers, a file with an error still gets the file's error (exit
// 2, nothing about Docker), and a good file one error naming dockerd
// (exit 1) with nothing made: no state, no namespace.
func TestRootUpDockerSilent(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("as root only: up asks Docker early only as root")
	}
	docker := "unix://" + testenv.SilentSocket(t, "docker.sock")
	up := func(file string) result {
		// A hang is a failure, not a slow pass.
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, bin, "up", "--emulate", file)
		c.Dir = t.TempDir()
		c.Env = append(os.Environ(), "DOCKER_HOST="+docker)
		r := collect(t, c)
		if ctx.Err() != nil {
			t.Fatalf("up still waiting on the silent dockerd after 90 s:\n%s", r.stderr)
		}
		return r
	}

	bad := writeFile(t, "bad.yaml", strings.Replace(validFile, "address: 10.0.1.20", "address: 10.0.9.20", 1))
	if r := up(bad); r.code != 2 || !strings.Contains(r.stderr, "bad.yaml:") || strings.Contains(r.stderr, "dockerd") {
		t.Errorf("up of a file with an error, Docker silent: want exit 2 naming the file and not Docker\n%s", r)
	}

	const lab = "cli-silent"
	good := writeFile(t, "topology.yaml", strings.Replace(validFile, "name: cli-ok", "name: "+lab, 1))
	t.Cleanup(func() {
		if r := ovslab(t, "down", lab); r.code != 0 {
			t.Logf("cleanup: %s", r)
		}
	})
	r := up(good)
	if want := "dockerd at " + docker + " did not answer"; r.code != 1 || strings.Count(r.stderr, want) != 1 {
		t.Errorf("up with Docker silent: want exit 1 and %q once\n%s", want, r)
	}
	if dir, err := labs.Dir(lab); err != nil {
		t.Fatal(err)
	} else if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("up with Docker silent left %s (%v)", dir, err)
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), lab+"-") {
		t.Errorf("up with Docker silent made namespaces:\n%s", out)
	}
}
