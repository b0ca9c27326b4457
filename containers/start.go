package containers

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// startTimeout bounds how long Ensure waits for a started container to
// report a PID. runc normally has one before ContainerStart returns.
const startTimeout = 30 * time.Second

// pollInterval is how often start re-inspects a container that is between
// states.
const pollInterval = 50 * time.Millisecond

// start brings the container to running (starting or unpausing it as
// needed) and returns its PID. A container that stops again right after we
// started it is an error carrying its exit code and last log lines, since
// a lab container must stay up to be plumbed.
func (c *Client) start(ctx context.Context, name, id string) (string, int, error) {
	deadline := time.Now().Add(startTimeout)
	started := false
	for {
		cur, err := c.api.ContainerInspect(ctx, id)
		if err != nil {
			return "", 0, fmt.Errorf("inspect container %q: %w", name, err)
		}
		st := cur.State
		if st == nil {
			st = &container.State{}
		}
		switch {
		case st.Running && st.Paused:
			if err := c.api.ContainerUnpause(ctx, id); err != nil {
				return "", 0, fmt.Errorf("unpause container %q: %w", name, err)
			}
		case st.Running && !st.Restarting && st.Pid > 0:
			return id, st.Pid, nil
		case st.Running || st.Restarting:
			// Between states: look again.
		case started:
			return "", 0, fmt.Errorf("container %q stopped right after start (%s, exit code %d%s)%s",
				name, st.Status, st.ExitCode, prefixed("; ", st.Error), prefixed("; last output: ", c.logTail(ctx, id)))
		default:
			if err := c.api.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
				return "", 0, fmt.Errorf("start container %q: %w", name, err)
			}
			started = true
			continue // usually running already: inspect without waiting
		}
		if time.Now().After(deadline) {
			return "", 0, fmt.Errorf("container %q: no running process after %s (state %s)", name, startTimeout, st.Status)
		}
		select {
		case <-ctx.Done():
			return "", 0, fmt.Errorf("container %q: %w", name, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// logTail returns the container's last few output lines on one line, or ""
// if they cannot be read: it only decorates another error.
func (c *Client) logTail(ctx context.Context, id string) string {
	out, err := c.api.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: "5"})
	if err != nil && len(out) == 0 {
		return ""
	}
	var buf bytes.Buffer
	// Without a TTY the log stream is multiplexed; demux both into one.
	if _, err := stdcopy.StdCopy(&buf, &buf, bytes.NewReader(out)); err != nil && buf.Len() == 0 {
		return ""
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(buf.String(), "\n", " | ")), " ")
}

func prefixed(prefix, s string) string {
	if s == "" {
		return ""
	}
	return prefix + s
}
