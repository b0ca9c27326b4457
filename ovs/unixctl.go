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
	ctx, cancel := withDefaultTimeout(ctx, unixctlTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return "", fmt.Errorf("ovs-appctl %s: %w", command, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if args == nil {
		args = []string{}
	}
	req := map[string]any{"method": command, "params": args, "id": 0}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return "", fmt.Errorf("ovs-appctl %s: %w", command, err)
	}
	var resp struct {
		Result *string `json:"result"`
		Error  any     `json:"error"`
	}
	if err := json.NewDecoder(conn).Decode(&resp); err != nil {
		return "", fmt.Errorf("ovs-appctl %s: %w", command, err)
	}
	if resp.Error != nil {
		return "", fmt.Errorf("ovs-appctl %s: %v", command, resp.Error)
	}
	if resp.Result == nil {
		return "", errors.New("ovs-appctl " + command + ": empty reply")
	}
	return *resp.Result, nil
}
