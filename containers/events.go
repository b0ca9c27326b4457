package containers

import (
	"context"
	"strconv"
	"time"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// Event is a container starting, dying or running out of memory, as
// Docker reports it.
type Event struct {
	Time     time.Time
	Action   string            // start, die or oom
	Name     string            // the container's name
	Labels   map[string]string // its labels
	ExitCode int               // for die
}

// Events streams the start, die and oom events of containers that carry
// label (any value), from now until ctx ends or the stream breaks; the
// error channel then says why (nil error when ctx ended).
func (c *Client) Events(ctx context.Context, label string) (<-chan Event, <-chan error) {
	msgs, errs := c.api.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", label),
		filters.Arg("event", string(events.ActionStart)),
		filters.Arg("event", string(events.ActionDie)),
		filters.Arg("event", string(events.ActionOOM)),
	)})
	out := make(chan Event)
	done := make(chan error, 1)
	go func() {
		defer close(out)
		for {
			select {
			case m := <-msgs:
				select {
				case out <- toEvent(m):
				case <-ctx.Done():
					done <- nil
					return
				}
			case err := <-errs:
				if ctx.Err() != nil {
					err = nil
				}
				done <- err
				return
			}
		}
	}()
	return out, done
}

func toEvent(m events.Message) Event {
	labels := map[string]string{}
	for k, v := range m.Actor.Attributes {
		labels[k] = v
	}
	e := Event{Time: time.Unix(0, m.TimeNano), Action: string(m.Action), Name: labels["name"], Labels: labels}
	delete(labels, "name")
	delete(labels, "image")
	if code, ok := labels["exitCode"]; ok {
		e.ExitCode, _ = strconv.Atoi(code)
		delete(labels, "exitCode")
	}
	return e
}
