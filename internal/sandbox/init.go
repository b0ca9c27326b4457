package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// Init is the shell's side of New: call it first thing in main, and in the
// TestMain of tests that start shells. In any other process it returns at
// once. In the process New's command starts it never returns: it sets the
// shell up and execs it, or reports why not to the parent and exits 1.
//
// Started any other way (a student's shell running the binary with the
// same argv[0] and environment), it refuses: it must be root and PID 1 of a
// new PID namespace, and even then every step needs privileges the caller
// would already have to hold.
func Init() {
	if len(os.Args) == 0 || os.Args[0] != initArg0 || os.Getenv(initEnv) != "1" {
		return
	}
	// Namespaces, credentials, capabilities and the seccomp filter are
	// per thread: every step, and the exec, happen on this one.
	runtime.LockOSThread()
	err := initShell()
	status := os.NewFile(fdStatus, "status")
	if status != nil {
		fmt.Fprintf(status, "%v", err)
	}
	fmt.Fprintf(os.Stderr, "ovslab sandbox: %v\r\n", err)
	os.Exit(1)
}

// initShell returns only on failure.
func initShell() error {
	if os.Getpid() != 1 || os.Geteuid() != 0 {
		return errors.New("the sandbox entry point is started by ovslab itself, as root, in a new PID namespace")
	}
	// The status pipe must close at exec: its EOF tells Ready the shell
	// started.
	unix.CloseOnExec(fdStatus)
	var c initConfig
	cf := os.NewFile(fdConfig, "config")
	if err := json.NewDecoder(cf).Decode(&c); err != nil {
		return fmt.Errorf("reading config: %w", err)
	}
	cf.Close()
	for _, dir := range c.Cgroups {
		// "0" is the writing process, in any PID namespace.
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte("0"), 0); err != nil {
			return fmt.Errorf("joining cgroup %s: %w", dir, err)
		}
	}
	if err := unix.Setns(fdNetns, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("entering the host's netns: %w", err)
	}
	unix.Close(fdNetns)
	if err := unix.Sethostname([]byte(c.Hostname)); err != nil {
		return fmt.Errorf("hostname: %w", err)
	}
	if err := buildRoot(c); err != nil {
		return err
	}
	if err := setLimits(c.Nproc); err != nil {
		return err
	}
	if err := unmergeable(); err != nil {
		return err
	}
	if err := dropPrivileges(c.UID, c.GID); err != nil {
		return err
	}
	if err := installSeccomp(); err != nil {
		return err
	}
	if err := os.Chdir("/tmp"); err != nil {
		return err
	}
	err := unix.Exec(c.Args[0], c.Args, c.Env)
	return fmt.Errorf("exec %s: %w", c.Args[0], err)
}

// setLimits sets RLIMIT_NPROC when no pids cgroup caps the shell, and no
// core dumps (they would fill /tmp).
func setLimits(nproc int) error {
	if nproc > 0 {
		l := &unix.Rlimit{Cur: uint64(nproc), Max: uint64(nproc)}
		if err := unix.Setrlimit(unix.RLIMIT_NPROC, l); err != nil {
			return fmt.Errorf("RLIMIT_NPROC %s: %w", strconv.Itoa(nproc), err)
		}
	}
	return unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
}

// unmergeable clears the same-page merging mark the shell would inherit
// from ovslab (it marks itself for the OVS daemons it starts where ksmd
// runs): a page a student's process shares with another's can tell, by
// how long a write to it takes, that the other holds the same bytes. A
// student may mark their own shell again, as any process may ask for
// its own pages to be merged; another student's stays unmarked. A
// kernel without the call has no mark to clear.
func unmergeable() error {
	on, err := unix.PrctlRetInt(unix.PR_GET_MEMORY_MERGE, 0, 0, 0, 0)
	if err != nil || on == 0 {
		return nil
	}
	if err := unix.Prctl(unix.PR_SET_MEMORY_MERGE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("clearing the same-page merging mark: %w", err)
	}
	return nil
}
