package containers

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"

	"github.com/ovslab/ovslab/internal/procs"
)

// TTY is an interactive command in a container, on a terminal Docker
// made for it: what a web terminal into a container carries.
type TTY struct {
	c    *Client
	name string
	id   string // the exec's
	pid  int    // its process, as this machine numbers it; 0 if unknown
	hj   types.HijackedResponse
	once sync.Once
	cerr error
}

// ExecTTY starts cmd in the running container called exactly name on a
// terminal of cols x rows (TERM=xterm-256color unless opts set it) and
// returns it: Read gives what the terminal shows, Write types, Resize
// resizes and Close ends it.
func (c *Client) ExecTTY(ctx context.Context, name string, cmd []string, cols, rows uint16, opts ...ExecOption) (*TTY, error) {
	if len(cmd) == 0 {
		return nil, fmt.Errorf("exec in %q: empty command", name)
	}
	cfg := container.ExecOptions{Cmd: cmd, Tty: true, AttachStdin: true, AttachStdout: true, AttachStderr: true,
		Env: []string{"TERM=xterm-256color"}}
	for _, o := range opts {
		o(&cfg)
	}
	id, found, err := c.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("exec in %q: %w", name, ErrNoContainer)
	}
	created, err := c.api.ContainerExecCreate(ctx, id, cfg)
	if err != nil {
		return nil, fmt.Errorf("exec %q in %q: %w", cmd[0], name, err)
	}
	hj, err := c.api.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: true})
	if err != nil {
		return nil, fmt.Errorf("exec %q in %q: attach: %w", cmd[0], name, err)
	}
	t := &TTY{c: c, name: name, id: created.ID, hj: hj}
	// The exec starts with the attach but reports its process a moment
	// later; a resize before that fails.
	if err := t.waitRunning(ctx); err != nil {
		hj.Close()
		return nil, err
	}
	if err := t.Resize(cols, rows); err != nil {
		hj.Close()
		return nil, err
	}
	return t, nil
}

// waitRunning learns the exec's PID. A command that ended before it was
// seen running leaves none: there is nothing left to kill.
func (t *TTY) waitRunning(ctx context.Context) error {
	start := time.Now()
	deadline := start.Add(startTimeout)
	for {
		st, err := t.c.api.ContainerExecInspect(ctx, t.id)
		if err != nil {
			return fmt.Errorf("exec in %q: %w", t.name, err)
		}
		if st.Pid != 0 || !st.Running && time.Since(start) > time.Second {
			t.pid = st.Pid
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("exec in %q: no process after %s", t.name, startTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollInterval):
		}
	}
}

// Read returns what the terminal shows (a TTY has one stream).
func (t *TTY) Read(p []byte) (int, error) { return t.hj.Reader.Read(p) }

// Write types p.
func (t *TTY) Write(p []byte) (int, error) { return t.hj.Conn.Write(p) }

// Resize sets the terminal's size.
func (t *TTY) Resize(cols, rows uint16) error {
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	err := t.c.api.ContainerExecResize(ctx, t.id, container.ResizeOptions{Width: uint(cols), Height: uint(rows)})
	if err != nil {
		return fmt.Errorf("resize terminal in %q: %w", t.name, err)
	}
	return nil
}

// Close ends the command and everything it started, then the stream.
// Docker has no call to end an exec, and closing the stream does not end
// it (a foreground ping would run on), so the exec's session is killed
// here: its process leads one, with the terminal as its controlling
// terminal. Needs dockerd on this machine, as ovslab's labs have it.
func (t *TTY) Close() error {
	t.once.Do(func() {
		if t.pid > 0 {
			_, t.cerr = procs.KillSession(t.pid)
		}
		t.hj.Close()
	})
	return t.cerr
}
