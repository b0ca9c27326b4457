package webterm

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/sandbox"
	"github.com/ovslab/ovslab/internal/testenv"
)

// pidsInNS lists the processes (as this machine numbers them) in the PID
// namespace whose /proc/PID/ns/pid link reads ns.
func pidsInNS(ns string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid)); err == nil && l == ns && !isZombie(pid) {
			out = append(out, pid)
		}
	}
	return out
}

// TestRootSandboxDiesWithSocket: a process that left the shell's session
// (setsid) still dies when the browser closes the socket, because the
// shell is PID 1 of its namespace; and the sandbox's cgroups go.
func TestRootSandboxDiesWithSocket(t *testing.T) {
	testenv.Require(t, "ip")
	ns := testenv.Netns(t, "termdies")
	shell := make(chan int, 1)
	base := termServer(t, func() (Terminal, func(), error) {
		sb, err := sandbox.New(sandbox.Config{Netns: nsutil.Path(ns), UID: 65534, GID: 2147003})
		if err != nil {
			return nil, nil, err
		}
		p, err := StartPTY(sb.Cmd(), 80, 24)
		if err != nil {
			_ = sb.Release()
			return nil, nil, err
		}
		if err := sb.Ready(context.Background()); err != nil {
			_ = p.Close()
			_ = sb.Release()
			return nil, nil, err
		}
		shell <- sb.Cmd().Process.Pid
		return p, func() {
			if err := sb.Release(); err != nil {
				t.Errorf("Release: %v", err)
			}
		}, nil
	})
	c := dial(t, "ws"+base[len("http"):]+"/term", nil)
	pid := <-shell
	pidns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		t.Fatal(err)
	}
	send(t, c, websocket.MessageBinary, "setsid sleep 1000 & echo started-$((1+1))\r")
	readUntil(t, c, "started-2")
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := len(pidsInNS(pidns)); n < 2 {
			return fmt.Errorf("%d processes in the shell's PID namespace, want bash and sleep", n)
		}
		return nil
	})
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		if left := pidsInNS(pidns); len(left) > 0 {
			return fmt.Errorf("processes %v of the closed shell still run", left)
		}
		return nil
	})
}
