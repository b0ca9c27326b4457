package labs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDownCannotAskDocker: down of a lab with no state asks Docker, OVSDB
// and iptables whether anything carries the lab's mark. Docker not
// answering is not "nothing there": down fails naming it, instead of
// saying "nothing to remove" and exiting 0 with the containers left.
func TestDownCannotAskDocker(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("as root only: down by a user who is not root asks nothing")
	}
	orig := RunRoot
	t.Cleanup(func() { RunRoot = orig })
	RunRoot = t.TempDir()
	sock := filepath.Join(t.TempDir(), "docker.sock") // nothing listens
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	var notes []string
	err := Down(context.Background(), "unreach", DownOptions{Reporter: Reporter{Note: func(f string, a ...any) { notes = append(notes, f) }}})
	if err == nil || !strings.Contains(err.Error(), sock) {
		t.Fatalf("down with Docker unreachable: %v (notes %q), want an error naming %s", err, notes, sock)
	}
}
