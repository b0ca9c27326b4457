package ovs

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ovslab/ovslab/internal/fds"
)

// daemonPID reads name's pidfile in runDir and reports whether that
// process is alive and really name serving runDir, so a stale pidfile whose
// pid was reused by something else is not taken for a running daemon.
func daemonPID(runDir, name string) (int, bool) {
	b, err := os.ReadFile(filepath.Join(runDir, name+".pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, isDaemon(pid, name, runDir)
}

// isDaemon reports whether pid is a live (not zombie) name process whose
// command line mentions runDir. A killed daemon whose parent never reaps it
// (PID 1 in many containers) stays a zombie, and kill(pid, 0) still
// succeeds on zombies, hence the state check.
func isDaemon(pid int, name, runDir string) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the parenthesised command, which may hold spaces.
	if i := bytes.LastIndexByte(stat, ')'); i < 0 || i+2 >= len(stat) || stat[i+2] == 'Z' || stat[i+2] == 'X' {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	argv := strings.Split(string(cmdline), "\x00")
	return filepath.Base(argv[0]) == name && strings.Contains(string(cmdline), runDir+"/")
}

// stopDaemon stops one daemon and waits until it is gone.
func stopDaemon(runDir, name string) error {
	pid, up := daemonPID(runDir, name)
	if !up {
		return nil
	}
	gone := func(d time.Duration) bool {
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		return poll(ctx, func() (bool, error) {
			return !isDaemon(pid, name, runDir), nil
		}, func() error { return nil }) == nil
	}
	// A failed `exit` is not final: a wedged daemon is killed below.
	appctl, appctlErr := lookBin("ovs-appctl")
	var appctlOut string
	if appctlErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		appctlOut, appctlErr = runCapture(ctx, nil, appctl, "-T", "5", "-t", filepath.Join(runDir, fmt.Sprintf("%s.%d.ctl", name, pid)), "exit")
		cancel()
		if appctlErr == nil && gone(10*time.Second) {
			return nil
		}
	}
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		if err := syscall.Kill(pid, sig); err != nil && err != syscall.ESRCH {
			return fmt.Errorf("stop %s (pid %d): %w", name, pid, err)
		}
		if gone(5 * time.Second) {
			return nil
		}
	}
	return fmt.Errorf("stop %s (pid %d) of %s: still running after ovs-appctl exit (%v: %s), SIGTERM and SIGKILL",
		name, pid, runDir, appctlErr, strings.TrimSpace(appctlOut))
}

// runTool runs an OVS tool and turns a failure into an error with its
// output.
func runTool(ctx context.Context, env []string, name string, args ...string) error {
	_, err := toolOutput(ctx, env, name, args...)
	return err
}

func toolOutput(ctx context.Context, env []string, name string, args ...string) (string, error) {
	bin, err := lookBin(name)
	if err != nil {
		return "", err
	}
	out, err := runCapture(ctx, env, bin, args...)
	if err != nil {
		return out, fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out))
	}
	return out, nil
}

// runCapture runs a command with its output in a temporary file rather
// than a pipe: a daemon started with --detach can inherit the pipe and
// keep Wait blocked for as long as it runs.
func runCapture(ctx context.Context, env []string, name string, args ...string) (string, error) {
	return runCaptureWith(ctx, (*exec.Cmd).Start, env, name, args...)
}

// runCaptureWith is runCapture with the command started by start.
func runCaptureWith(ctx context.Context, start func(*exec.Cmd) error, env []string, name string, args ...string) (string, error) {
	f, err := os.CreateTemp("", "ovslab-ovs-*.out")
	if err != nil {
		return "", err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	// Daemons started here outlive the command: they must not keep what
	// its caller left open (e.g. the lock of `flock FILE ovslab up`).
	fds.CloseInherited()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	runErr := start(cmd)
	if runErr == nil {
		runErr = cmd.Wait()
	}
	out, _ := os.ReadFile(f.Name())
	return string(out), runErr
}
