package containers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// ExecOption adjusts one Exec call.
type ExecOption func(*container.ExecOptions)

// WithTTY gives the command a terminal, for interactive shells. Output then
// arrives as one raw stream on stdout (a TTY has no separate stderr); the
// caller puts its own terminal in raw mode.
func WithTTY() ExecOption {
	return func(o *container.ExecOptions) { o.Tty = true }
}

// WithEnv adds KEY=VALUE variables to the command's environment.
func WithEnv(env ...string) ExecOption {
	return func(o *container.ExecOptions) { o.Env = append(o.Env, env...) }
}

// ErrNoContainer is wrapped when no container has the name asked for.
var ErrNoContainer = errors.New("no such container")

// Exec runs cmd in the running container called exactly name (never an ID
// prefix that happens to look like it) with the given stdio
// and returns the command's exit code. A nil stdin gives the command no
// input; nil stdout or stderr discard that stream. The error is non-nil
// only when the command could not be run or followed, not when it exits
// non-zero.
func (c *Client) Exec(ctx context.Context, name string, cmd []string, stdin io.Reader, stdout, stderr io.Writer, opts ...ExecOption) (int, error) {
	if len(cmd) == 0 {
		return -1, fmt.Errorf("exec in %q: empty command", name)
	}
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	cfg := container.ExecOptions{Cmd: cmd, AttachStdin: stdin != nil, AttachStdout: true, AttachStderr: true}
	for _, o := range opts {
		o(&cfg)
	}
	id, found, err := c.lookup(ctx, name)
	if err != nil {
		return -1, err
	}
	if !found {
		return -1, fmt.Errorf("exec in %q: %w", name, ErrNoContainer)
	}
	created, err := c.api.ContainerExecCreate(ctx, id, cfg)
	if err != nil {
		return -1, fmt.Errorf("exec %q in %q: %w", cmd[0], name, err)
	}
	hj, err := c.api.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: cfg.Tty})
	if err != nil {
		return -1, fmt.Errorf("exec %q in %q: attach: %w", cmd[0], name, err)
	}
	defer hj.Close()
	// The hijacked connection ignores ctx; closing it is the only way to
	// unblock the copy below when the caller gives up.
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			hj.Close()
		case <-done:
		}
	}()
	if stdin != nil {
		go func() {
			_, _ = io.Copy(hj.Conn, stdin)
			// Half-close so commands reading to EOF (cat, sh -s) finish.
			_ = hj.CloseWrite()
		}()
	}
	if cfg.Tty {
		_, err = io.Copy(stdout, hj.Reader)
	} else {
		// Without a TTY Docker multiplexes stdout and stderr on one stream.
		_, err = stdcopy.StdCopy(stdout, stderr, hj.Reader)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return -1, fmt.Errorf("exec %q in %q: reading output: %w", cmd[0], name, err)
	}
	return c.execExitCode(ctx, name, cmd[0], created.ID)
}

// execExitCode waits for the exec to be reported finished: the output
// stream can close a moment before the daemon records the exit code.
func (c *Client) execExitCode(ctx context.Context, name, cmd0, execID string) (int, error) {
	deadline := time.Now().Add(startTimeout)
	for {
		st, err := c.api.ContainerExecInspect(ctx, execID)
		if err != nil {
			return -1, fmt.Errorf("exec %q in %q: %w", cmd0, name, err)
		}
		if !st.Running {
			return st.ExitCode, nil
		}
		if time.Now().After(deadline) {
			return -1, fmt.Errorf("exec %q in %q: output ended but the command is still running after %s", cmd0, name, startTimeout)
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("exec %q in %q: %w", cmd0, name, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}
