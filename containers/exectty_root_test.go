package containers

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/procs"
	"github.com/ovslab/ovslab/internal/testenv"
)

// readTTY reads the terminal until its output holds want.
func readTTY(t *testing.T, tty *TTY, want string) string {
	t.Helper()
	_ = tty.hj.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), want) {
		n, err := tty.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("reading until %q: %v; got %q", want, err, got.String())
		}
	}
	return got.String()
}

func TestRootDockerExecTTY(t *testing.T) {
	c, ctx := newClient(t)
	s, _, _ := sleeper(t, c, ctx, unique("lab"))
	tty, err := c.ExecTTY(ctx, s.Name, []string{"sh"}, 100, 30)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tty.Close() })
	if _, err := tty.Write([]byte("stty size; echo $((6*7))\r")); err != nil {
		t.Fatal(err)
	}
	if out := readTTY(t, tty, "42\r\n"); !strings.Contains(out, "30 100\r\n") {
		t.Errorf("stty size on a 100x30 terminal: %q", out)
	}
	if err := tty.Resize(120, 40); err != nil {
		t.Fatal(err)
	}
	if _, err := tty.Write([]byte("stty size; echo $((6*8))\r")); err != nil {
		t.Fatal(err)
	}
	if out := readTTY(t, tty, "48\r\n"); !strings.Contains(out, "40 120\r\n") {
		t.Errorf("stty size after a resize to 120x40: %q", out)
	}

	// A background job and a foreground command die with Close.
	if _, err := tty.Write([]byte("sleep 1000 & sleep 1001\r")); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		pids, err := procs.Session(tty.pid)
		if err == nil && len(pids) < 3 {
			err = fmt.Errorf("session of the exec: %v, want sh and two sleeps", pids)
		}
		return err
	})
	if err := tty.Close(); err != nil {
		t.Fatal(err)
	}
	ps := execOut(t, c, ctx, s.Name, "ps", "-o", "pid,args")
	if strings.Contains(ps, "sleep 100") {
		t.Errorf("the closed terminal's sleeps still run:\n%s", ps)
	}
}

func TestRootDockerExecTTYNoContainer(t *testing.T) {
	c, ctx := newClient(t)
	_, err := c.ExecTTY(ctx, unique("absent"), []string{"sh"}, 80, 24)
	if !errors.Is(err, ErrNoContainer) {
		t.Errorf("ExecTTY in a missing container: %v, want ErrNoContainer", err)
	}
}
