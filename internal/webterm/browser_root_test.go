package webterm

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/sandbox"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootBrowserSandboxShell: in Chromium, the page's terminal is a
// sandboxed shell on an emulated host: `id` shows nobody, and the
// machine's /etc/shadow stays unreadable.
func TestRootBrowserSandboxShell(t *testing.T) {
	testenv.Require(t, "ip")
	ns := testenv.Netns(t, "termtest")
	ctx := testenv.Browser(t)
	base := termServer(t, func() (Terminal, func(), error) {
		sb, err := sandbox.New(sandbox.Config{Netns: nsutil.Path(ns), UID: 65534, GID: 2147002})
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
		return p, func() { _ = sb.Release() }, nil
	})
	openTerminal(t, ctx, base)
	typeAndSee(t, ctx, "id\r", "uid=65534(nobody) gid=2147002 groups=2147002")
	typeAndSee(t, ctx, "cat /etc/shadow\r", "cat: /etc/shadow: Permission denied")
	testenv.Screenshot(t, ctx, "shell")
}

// TestRootBrowserContainer: in Chromium, the page's terminal is a shell in
// a busybox container, through Docker's exec.
func TestRootBrowserContainer(t *testing.T) {
	testenv.RequireDocker(t)
	ctx := testenv.Browser(t)
	dctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	dc, err := containers.Connect(dctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = dc.Close() })
	if err := dc.EnsureImage(dctx, containers.BuiltinImage, ""); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("ovslabtest-term-%d", time.Now().UnixNano())
	t.Cleanup(func() {
		if out, err := exec.Command("docker", "rm", "-f", name).CombinedOutput(); err != nil {
			t.Errorf("cleanup: docker rm %s: %v\n%s", name, err, out)
		}
	})
	spec := containers.Spec{Name: name, Image: containers.BuiltinImage, Command: []string{"sleep", "infinity"},
		Labels: map[string]string{containers.LabLabel: "ovslabtest-term"}}
	if _, _, err := dc.Ensure(dctx, spec, containers.LabLabel); err != nil {
		t.Fatal(err)
	}
	base := termServer(t, func() (Terminal, func(), error) {
		tty, err := dc.ExecTTY(dctx, name, []string{"sh"}, 80, 24)
		return tty, func() {}, err
	})
	openTerminal(t, ctx, base)
	typeAndSee(t, ctx, "echo hi\r", "hi")
	testenv.Screenshot(t, ctx, "container")
}
