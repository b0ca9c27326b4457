package ovs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// unixctlTimeout bounds the wait for each reply of a control-socket call
// when ctx has no deadline, unless the daemon is visibly at work: a
// vswitchd whose main loop takes seconds a pass (the gateway host of a
// 1000-container lab, just up, revalidating at every static MAC) answers
// late but answers. A daemon that used no CPU over a whole unixctlTimeout
// without answering is hung; one that keeps working without answering is
// given up on after unixctlBusyLimit.
var (
	unixctlTimeout   = 5 * time.Second
	unixctlBusyLimit = 2 * time.Minute
)

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
// call within unixctlTimeout of the one before, or be seen working
// meanwhile (see unixctlTimeout), not the whole batch within it.
func AppctlAll(ctx context.Context, socket string, calls []AppctlCall) ([]string, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	dl, bounded := ctx.Deadline()
	dctx, cancel := withDefaultTimeout(ctx, unixctlTimeout)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(dctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("ovs-appctl %s: %w", calls[0].Command, err)
	}
	defer c.Close()
	conn := c
	if !bounded {
		conn = newPatientConn(c, socket)
	}
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

// patientConn is a control connection whose reads and writes, when their
// deadline passes with nothing moved, go on waiting for as long as the
// daemon behind it uses CPU between one deadline and the next, up to
// unixctlBusyLimit since anything last moved. The daemon is known by the
// PID in its socket's name (NAME.PID.ctl, as OVS names them); without one
// a deadline is final.
type patientConn struct {
	net.Conn
	socket string
	pid    int
	mu     sync.Mutex // reads and writes run in two goroutines
	moved  time.Time  // when a byte last went either way
	cpu    int64      // the daemon's CPU ticks at the last deadline (or the start), -1 unknown
}

func newPatientConn(c net.Conn, socket string) *patientConn {
	pid := socketPID(socket)
	cpu := int64(-1)
	if pid > 0 {
		cpu = processCPU(pid)
	}
	return &patientConn{Conn: c, socket: socket, pid: pid, moved: time.Now(), cpu: cpu}
}

func (c *patientConn) Read(b []byte) (int, error) {
	for {
		n, err := c.Conn.Read(b)
		if n > 0 {
			c.touch()
		}
		if n > 0 || !c.working(err) {
			return n, c.explain(err)
		}
		_ = c.Conn.SetReadDeadline(time.Now().Add(unixctlTimeout))
	}
}

func (c *patientConn) Write(b []byte) (int, error) {
	done := 0
	for {
		n, err := c.Conn.Write(b[done:])
		done += n
		if n > 0 {
			c.touch()
		}
		if done == len(b) || !c.working(err) {
			return done, c.explain(err)
		}
		_ = c.Conn.SetWriteDeadline(time.Now().Add(unixctlTimeout))
	}
}

// touch notes that a byte moved.
func (c *patientConn) touch() {
	c.mu.Lock()
	c.moved = time.Now()
	c.mu.Unlock()
}

// idle is how long ago a byte last moved.
func (c *patientConn) idle() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Since(c.moved)
}

// working reports whether err is a deadline that passed while the daemon
// was at work, so the call may wait on.
func (c *patientConn) working(err error) bool {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || c.pid <= 0 || c.idle() > unixctlBusyLimit {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Against the last deadline, or the connection's start: work done
	// since then, even answering earlier calls, buys one period more.
	now := processCPU(c.pid)
	busy := now >= 0 && c.cpu >= 0 && now != c.cpu
	c.cpu = now
	return busy
}

// explain says why a deadline ended the call.
func (c *patientConn) explain(err error) error {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || c.pid <= 0 {
		return err // not a deadline, or a daemon it could not watch
	}
	name := filepath.Base(c.socket)
	if c.idle() > unixctlBusyLimit {
		return fmt.Errorf("%w: %s kept working for %s without answering", err, name, unixctlBusyLimit)
	}
	return fmt.Errorf("%w: %s did no work for %s and did not answer: is it hung?", err, name, unixctlTimeout)
}

// socketPID is the PID in a control socket's name (ovs-vswitchd.PID.ctl),
// 0 if it has none.
func socketPID(socket string) int {
	base, ok := strings.CutSuffix(filepath.Base(socket), ".ctl")
	if !ok {
		return 0
	}
	i := strings.LastIndexByte(base, '.')
	pid, err := strconv.Atoi(base[i+1:])
	if i < 0 || err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// processCPU is the CPU time, in clock ticks, that process pid and its
// threads used (utime + stime of /proc/PID/stat), -1 if unknown.
func processCPU(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	// The name in parentheses may hold spaces; the fields after it do not.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return -1
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return u + s
}
