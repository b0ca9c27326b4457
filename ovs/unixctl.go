package ovs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// unixctlTimeout bounds one control-socket call when ctx has no deadline.
const unixctlTimeout = 5 * time.Second

// VswitchdControl returns the control socket of the ovs-vswitchd whose
// pidfile is in runDir (an emulated host's run dir, or a real host's
// /var/run/openvswitch), the socket ovs-appctl talks to.
func VswitchdControl(runDir string) (string, error) {
	runDir = absDir(runDir)
	b, err := os.ReadFile(filepath.Join(runDir, ovsVswitchd+".pid"))
	if err != nil {
		return "", fmt.Errorf("ovs-vswitchd control socket: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return "", fmt.Errorf("ovs-vswitchd pidfile in %s: %w", runDir, err)
	}
	return filepath.Join(runDir, fmt.Sprintf("%s.%d.ctl", ovsVswitchd, pid)), nil
}

// RunDirOf returns the directory of a unix OVSDB endpoint, where a
// packaged or emulated install keeps the daemons' pidfiles and control
// sockets; "" for other endpoints.
func RunDirOf(endpoint string) string {
	p, ok := strings.CutPrefix(endpoint, "unix:")
	if !ok {
		return ""
	}
	return filepath.Dir(p)
}

// Appctl runs one ovs-appctl command over a daemon's control socket. The
// protocol is JSON-RPC 1.0 over a stream socket (lib/unixctl.c), so no
// ovs-appctl binary is needed.
func Appctl(ctx context.Context, socket, command string, args ...string) (string, error) {
	out, err := AppctlAll(ctx, socket, []AppctlCall{{command, args}})
	if err != nil {
		return "", err
	}
	return out[0], nil
}

// AppctlCall is one command for AppctlAll.
type AppctlCall struct {
	Command string
	Args    []string
}

// AppctlAll runs calls in order over one connection to a daemon's control
// socket and returns their replies. The requests are pipelined: the
// daemon reads up to ten of them per pass of its main loop, so a thousand
// calls (fdb/add for every MAC of a large lab) take about a hundred
// passes rather than a thousand connections. It stops at the first call
// that fails. Without a deadline in ctx, the daemon must answer each
// call within unixctlTimeout of the one before, not the whole batch within
// it: a busy vswitchd (the gateway host of a 1000-container lab, just
// up) took longer than that over a thousand fdb/add, answering all along.
func AppctlAll(ctx context.Context, socket string, calls []AppctlCall) ([]string, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	dl, bounded := ctx.Deadline()
	dctx, cancel := withDefaultTimeout(ctx, unixctlTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(dctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("ovs-appctl %s: %w", calls[0].Command, err)
	}
	defer conn.Close()
	// Closing the connection ends a read or write blocked when ctx ends.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	next := func() time.Time {
		if bounded {
			return dl
		}
		return time.Now().Add(unixctlTimeout)
	}
	_ = conn.SetDeadline(next())
	// Written while the replies are read: the daemon stops reading
	// requests while its replies wait to be sent.
	sent := make(chan error, 1)
	go func() {
		enc := json.NewEncoder(conn)
		for i, c := range calls {
			args := c.Args
			if args == nil {
				args = []string{}
			}
			_ = conn.SetWriteDeadline(next())
			if err := enc.Encode(map[string]any{"method": c.Command, "params": args, "id": i}); err != nil {
				sent <- fmt.Errorf("ovs-appctl %s: %w", c.Command, err)
				return
			}
		}
		sent <- nil
	}()
	dec := json.NewDecoder(conn)
	out := make([]string, 0, len(calls))
	for _, c := range calls {
		var resp struct {
			Result *string `json:"result"`
			Error  any     `json:"error"`
		}
		_ = conn.SetReadDeadline(next())
		if err := dec.Decode(&resp); err != nil {
			if ctx.Err() != nil {
				err = ctx.Err() // the connection was closed for it
			}
			return nil, fmt.Errorf("ovs-appctl %s: %w", c.Command, err)
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("ovs-appctl %s %s: %v", c.Command, strings.Join(c.Args, " "), resp.Error)
		}
		if resp.Result == nil {
			return nil, errors.New("ovs-appctl " + c.Command + ": empty reply")
		}
		out = append(out, *resp.Result)
	}
	if err := <-sent; err != nil {
		return nil, err
	}
	return out, nil
}
