package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The hidden entry point: the parent re-executes its own binary with this
// argv[0] and environment, and Init recognises both. Neither grants
// anything: Init needs to be root and PID 1 of a fresh PID namespace,
// which only New's command gives it.
const (
	initArg0 = "ovslab-sandbox-init"
	initEnv  = "_OVSLAB_SANDBOX_INIT"
)

// The files New hands to Init, as its file descriptors.
const (
	fdConfig = 3 // read end of a pipe holding initConfig as JSON
	fdNetns  = 4 // the host's netns
	fdStatus = 5 // write end of a pipe: Init's error, or EOF at exec
)

// readyTimeout bounds Ready when its ctx has no deadline: Init does a few
// dozen local system calls before it execs the shell.
const readyTimeout = 30 * time.Second

// Sandbox is one shell, prepared by New and started by the caller.
type Sandbox struct {
	cmd    *exec.Cmd
	cg     *cgroups
	child  []*os.File // the child's ends, closed here once it started
	status *os.File   // read end of the status pipe
}

// initConfig is what New tells Init.
type initConfig struct {
	Cgroups  []string // directories whose cgroup.procs Init joins
	Nproc    int      // RLIMIT_NPROC when there is no pids cgroup; 0 = unset
	RunDir   string
	DBSocket string // shown as RunDir's db.sock in its place
	Hostname string
	UID, GID int
	Args     []string
	Env      []string
	TmpSize  int64
	Hide     []string
}

// New validates cfg, creates the shell's cgroups and returns the Sandbox
// whose Cmd starts it. The caller sets the command's stdio (or starts it on
// a PTY, which also makes the PTY its controlling terminal), starts it,
// calls Ready, waits for it, and calls Release in every case.
func New(cfg Config) (*Sandbox, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ns, err := openNetns(cfg.Netns)
	if err != nil {
		return nil, err
	}
	s := &Sandbox{child: []*os.File{nil, ns, nil}}
	ok := false
	defer func() {
		if !ok {
			_ = s.Release()
		}
	}()
	s.cg, err = newCgroups(limits{pids: cfg.Pids, memory: cfg.Memory, cpu: cfg.CPU})
	if err != nil {
		return nil, err
	}
	ic := initConfig{
		Cgroups: s.cg.dirs, RunDir: cfg.OVSRunDir, DBSocket: cfg.OVSDBSocket, Hostname: cfg.Hostname,
		UID: cfg.UID, GID: cfg.GID, Args: cfg.command(), Env: cfg.shellEnv(),
		TmpSize: cfg.TmpSize, Hide: cfg.Hide,
	}
	if !s.cg.pids {
		ic.Nproc = cfg.Pids
	}
	if s.child[0], err = configPipe(ic); err != nil {
		return nil, err
	}
	if s.status, s.child[2], err = os.Pipe(); err != nil {
		return nil, err
	}
	s.cmd = &exec.Cmd{
		// The running binary, even if a newer one replaced it on disk.
		Path:       "/proc/self/exe",
		Args:       []string{initArg0},
		Env:        []string{initEnv + "=1"},
		Dir:        "/",
		ExtraFiles: s.child,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC,
			Setsid:     true,
			// Tied to the OS thread that starts it; a server that dies
			// takes its shells along.
			Pdeathsig: syscall.SIGKILL,
		},
	}
	ok = true
	return s, nil
}

// Cmd is the command that starts the shell. Set its Stdin, Stdout and
// Stderr (nil = /dev/null), or start it on a PTY; leave the rest. The
// shell gets SIGKILL if the OS thread that started it exits (Pdeathsig):
// Go ends a thread only when a goroutine locked to it returns still
// locked, which nothing should do while shells run.
func (s *Sandbox) Cmd() *exec.Cmd { return s.cmd }

// PidsLimited reports whether a pids cgroup holds the shell's processes;
// if not, RLIMIT_NPROC does, counting every process of its uid.
func (s *Sandbox) PidsLimited() bool { return s.cg.pids }

// Ready waits, after the command was started, until Init has execed the
// shell, and returns the reason if it could not. Init's process has then
// exited with status 1.
func (s *Sandbox) Ready(ctx context.Context) error {
	s.closeChild()
	if s.status == nil {
		return errors.New("sandbox: Ready called twice or after Release")
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(readyTimeout)
	}
	_ = s.status.SetReadDeadline(deadline)
	msg, err := io.ReadAll(io.LimitReader(s.status, 4096))
	_ = s.status.Close()
	s.status = nil
	switch {
	case err != nil:
		return fmt.Errorf("sandbox: waiting for the shell to start: %w", err)
	case len(msg) > 0:
		return fmt.Errorf("sandbox: %s", strings.TrimSpace(string(msg)))
	}
	return nil
}

// Release kills whatever is left of the shell's processes and removes its
// cgroups. Call it once the command has been waited for (it is safe
// before, and kills the shell).
func (s *Sandbox) Release() error {
	s.closeChild()
	if s.status != nil {
		_ = s.status.Close()
		s.status = nil
	}
	if s.cmd != nil && s.cmd.Process != nil {
		// A PID namespace dies with its PID 1; pidfd-backed, so never a
		// recycled PID.
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
	}
	if s.cg == nil {
		return nil
	}
	return s.cg.remove()
}

func (s *Sandbox) closeChild() {
	for i, f := range s.child {
		if f != nil {
			_ = f.Close()
			s.child[i] = nil
		}
	}
}

// openNetns opens path and checks it is a network namespace, so that a
// wrong path fails here with its name rather than in the child.
func openNetns(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("netns: %w", err)
	}
	t, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_NSTYPE)
	if err != nil || t != unix.CLONE_NEWNET {
		f.Close()
		return nil, fmt.Errorf("%w: %s is not a network namespace", ErrConfig, path)
	}
	return f, nil
}

// configPipe returns the read end of a pipe that already holds ic: it is
// far smaller than a pipe's buffer.
func configPipe(ic initConfig) (*os.File, error) {
	b, err := json.Marshal(ic)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer w.Close()
	if _, err := w.Write(b); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}
