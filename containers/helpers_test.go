package containers

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// testLabel is the ownership label key the tests use, as the lab code does.
const testLabel = LabLabel

var seq atomic.Int64

// unique returns a name unique to this test run, prefixed ovslabtest- so a
// leftover is recognisable (and removable by `docker rm` on that prefix).
func unique(kind string) string {
	return fmt.Sprintf("ovslabtest-%s-%d-%d", kind, time.Now().UnixNano()%1_000_000, seq.Add(1))
}

// newClient connects to the machine's dockerd, skipping without one.
func newClient(t *testing.T) (*Client, context.Context) {
	t.Helper()
	testenv.RequireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	c, err := Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, ctx
}

// removeAtEnd removes the container called name when the test ends, pass
// or fail.
func removeAtEnd(t *testing.T, c *Client, name string) {
	t.Helper()
	t.Cleanup(func() {
		if err := removeNamed(context.Background(), c, name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// removeNamed removes the container called exactly name, if there is one.
func removeNamed(ctx context.Context, c *Client, name string) error {
	id, found, err := c.lookup(ctx, name)
	if err != nil || !found {
		return err
	}
	return c.Remove(ctx, id)
}

// removeImageAtEnd removes a test-tagged image when the test ends.
func removeImageAtEnd(t *testing.T, c *Client, image string) {
	t.Helper()
	t.Cleanup(func() {
		if err := c.RemoveImage(context.Background(), image); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
}

// ensureBuiltin makes the built-in image available. It is left on the
// machine: it is the product's own image, shared with other packages'
// tests that may be running at the same time.
func ensureBuiltin(t *testing.T, c *Client, ctx context.Context) {
	t.Helper()
	if err := c.EnsureImage(ctx, BuiltinImage, ""); err != nil {
		t.Fatal(err)
	}
}

// sleeper ensures a running busybox container owned by lab.
func sleeper(t *testing.T, c *Client, ctx context.Context, lab string) (Spec, string, int) {
	t.Helper()
	ensureBuiltin(t, c, ctx)
	s := Spec{
		Name:    unique("ctr"),
		Image:   BuiltinImage,
		Command: []string{"sleep", "infinity"},
		Labels:  map[string]string{testLabel: lab},
	}
	removeAtEnd(t, c, s.Name)
	id, pid, err := c.Ensure(ctx, s, testLabel)
	if err != nil {
		t.Fatal(err)
	}
	return s, id, pid
}

// dockerInspect reads one field with the docker CLI, independently of the
// code under test.
func dockerInspect(t *testing.T, format, name string) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "docker", "inspect", "-f", format, name))
}

// dockerExists reports whether docker knows the container or image.
func dockerExists(kind, name string) bool {
	return exec.Command("docker", kind, "inspect", name).Run() == nil
}

// execOut runs cmd in the container and returns stdout, failing the test
// on a non-zero exit.
func execOut(t *testing.T, c *Client, ctx context.Context, name string, cmd ...string) string {
	t.Helper()
	var out, errb strings.Builder
	code, err := c.Exec(ctx, name, cmd, nil, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 {
		t.Fatalf("%v in %s: exit %d\nstdout: %s\nstderr: %s", cmd, name, code, out.String(), errb.String())
	}
	return out.String()
}
