package labs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
)

// Exec runs cmd in node of lab: a container, or (emulated labs) a host,
// the router or the WAN, in its netns. On a host OVS_RUNDIR points at that
// host's OVS, so ovs-vsctl and ovs-appctl work unchanged. It returns cmd's
// exit code.
//
// With tty, a container's command gets a terminal (for an interactive
// shell); the caller puts its own terminal in raw mode.
func Exec(ctx context.Context, lab, node string, cmd []string, stdin io.Reader, stdout, stderr io.Writer, tty bool) (int, error) {
	st, err := LoadState(lab)
	if err != nil {
		return 0, usageIfMissing(err)
	}
	if st.Mode == ModeEmulated && (slices.Contains(st.Hosts, node) || node == routerNode || node == wanNode) {
		env := os.Environ()
		if slices.Contains(st.Hosts, node) {
			env = append(env, "OVS_RUNDIR="+st.hostLocation(node, "").runDir)
		}
		return execInNetns(ctx, NetnsName(lab, node), env, cmd, stdin, stdout, stderr)
	}
	dc, err := containers.Connect(ctx)
	if err != nil {
		return 0, err
	}
	defer dc.Close()
	cs, err := dc.List(ctx, map[string]string{labelLab: lab, labelNode: node})
	if err != nil {
		return 0, err
	}
	if len(cs) == 0 {
		return 0, Usagef("lab %s has no node %q (hosts: %v; containers: see ovslab status %s)", lab, node, st.Hosts, lab)
	}
	var opts []containers.ExecOption
	if tty {
		opts = append(opts, containers.WithTTY())
	}
	return dc.Exec(ctx, cs[0].Name, cmd, stdin, stdout, stderr, opts...)
}

// execInNetns starts cmd from a thread inside the netns: the child
// inherits the thread's netns, and nothing else of ours changes.
func execInNetns(ctx context.Context, ns string, env, cmd []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if !nsutil.Exists(ns) {
		return 0, fmt.Errorf("netns %s is gone: run ovslab up again to repair the lab", ns)
	}
	code := 0
	err := nsutil.Do(nsutil.Path(ns), func() error {
		c := exec.CommandContext(ctx, cmd[0], cmd[1:]...)
		c.Env, c.Stdin, c.Stdout, c.Stderr = env, stdin, stdout, stderr
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			return nil
		}
		return err
	})
	return code, err
}
