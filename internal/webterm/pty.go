package webterm

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/creack/pty"

	"github.com/ovslab/ovslab/internal/procs"
)

// closeTimeout bounds how long Close waits for a killed process to be
// reaped (one in uninterruptible sleep may take a while).
const closeTimeout = 10 * time.Second

// PTY is a local process on a pseudo-terminal.
type PTY struct {
	cmd  *exec.Cmd
	f    *os.File // the PTY's master side
	done chan struct{}
	err  error // Wait's, once done is closed
	once sync.Once
	cerr error
}

// StartPTY starts cmd on a new pseudo-terminal of cols x rows, as the
// leader of a new session whose controlling terminal it is. cmd's
// SysProcAttr is kept (a sandbox's namespaces), with Setsid and Setctty
// set; stdio left nil is the terminal.
func StartPTY(cmd *exec.Cmd, cols, rows uint16) (*PTY, error) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = 0 // the child's stdin: the terminal
	f, err := pty.StartWithAttrs(cmd, &pty.Winsize{Cols: cols, Rows: rows}, cmd.SysProcAttr)
	if err != nil {
		return nil, fmt.Errorf("webterm: start %s: %w", cmd.Path, err)
	}
	p := &PTY{cmd: cmd, f: f, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Read returns what the process wrote to its terminal; io.EOF once the
// terminal has no process left.
func (p *PTY) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	// Linux reports a master whose slave side is closed as EIO.
	if err != nil && (errors.Is(err, syscall.EIO) || errors.Is(err, os.ErrClosed)) {
		err = io.EOF
	}
	return n, err
}

// Write types b.
func (p *PTY) Write(b []byte) (int, error) { return p.f.Write(b) }

// Resize sets the terminal size; the foreground process gets SIGWINCH.
func (p *PTY) Resize(cols, rows uint16) error {
	return pty.Setsize(p.f, &pty.Winsize{Cols: cols, Rows: rows})
}

// Done is closed once the process has exited and been reaped.
func (p *PTY) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns how (exec.Cmd.Wait).
func (p *PTY) Wait() error {
	<-p.done
	return p.err
}

// Close kills every process of the terminal's session (the process, its
// jobs and theirs), waits for the process, and closes the terminal. Only a
// PID namespace (a sandbox) guarantees that every descendant dies: there
// the process is PID 1 and the kernel kills the rest with it; elsewhere a
// descendant that started a session of its own survives.
func (p *PTY) Close() error {
	p.once.Do(func() {
		// The session's ID is the process's: not reusable while the
		// process is unreaped or the session has members.
		_, p.cerr = procs.KillSession(p.cmd.Process.Pid)
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(closeTimeout):
			p.cerr = fmt.Errorf("webterm: %s (pid %d) not gone %s after SIGKILL", p.cmd.Path, p.cmd.Process.Pid, closeTimeout)
		}
		if err := p.f.Close(); err != nil && p.cerr == nil {
			p.cerr = err
		}
	})
	return p.cerr
}
