package labs

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/topology"
)

// WatchOptions choose the labs Watch follows and where it starts.
type WatchOptions struct {
	Reporter // Note says when Docker's events cannot be had
	// Match chooses the labs to follow, asked again as labs come and go;
	// nil follows every lab on this machine.
	Match func(lab string) bool
	// Last starts with up to Last events the labs' logs already hold;
	// 0 starts from now.
	Last int
}

// pollEvery is how often Watch reads the labs' logs: well within the
// 2 s a classroom board may take to show a check.
const pollEvery = 200 * time.Millisecond

// Watch streams the events of the labs o.Match accepts until ctx ends:
// what up, down and check log in any process (their logs, read every
// pollEvery), and Docker's start, die and oom of the labs' containers.
// A lab that comes up while it runs is followed from its first event.
// The channel is closed when ctx ends.
func Watch(ctx context.Context, o WatchOptions) <-chan events.Event {
	if o.Match == nil {
		o.Match = func(string) bool { return true }
	}
	out := make(chan events.Event, 64)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); followLogs(ctx, o, out) }()
	go func() { defer wg.Done(); followContainers(ctx, o, out) }()
	go func() { wg.Wait(); close(out) }()
	return out
}

func send(ctx context.Context, out chan<- events.Event, e events.Event) bool {
	select {
	case out <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// logPaths are the event logs of the labs with a directory here that
// match accepts.
func logPaths(match func(string) bool) []string {
	ents, err := os.ReadDir(RunRoot)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && topology.ValidLabName(e.Name()) && match(e.Name()) {
			out = append(out, filepath.Join(RunRoot, e.Name(), eventsFile))
		}
	}
	return out
}

func followLogs(ctx context.Context, o WatchOptions, out chan<- events.Event) {
	fl := events.NewFollower()
	defer fl.Close()
	for _, e := range events.Last(logPaths(o.Match), o.Last) {
		if e.Time.Before(fl.Since()) && !send(ctx, out, e) {
			return
		}
	}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		for _, e := range fl.Poll(logPaths(o.Match)) {
			if !send(ctx, out, e) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// followContainers relays Docker's events of the labs' containers, and
// reconnects when dockerd restarts.
func followContainers(ctx context.Context, o WatchOptions, out chan<- events.Event) {
	told := false
	for {
		dc, err := containers.Connect(ctx)
		if err == nil {
			evs, errs := dc.Events(ctx, labelLab)
			for e := range evs {
				lab := e.Labels[labelLab]
				if !o.Match(lab) {
					continue
				}
				f := map[string]any{"node": e.Labels[labelNode], "host": e.Labels[labelHost], "container": e.Name}
				if e.Action == "die" {
					f["exit_code"] = e.ExitCode
				}
				if !send(ctx, out, events.Event{Time: e.Time.UTC(), Lab: lab, Type: "container." + e.Action, Fields: f}) {
					break
				}
			}
			err = <-errs
			dc.Close()
		}
		if ctx.Err() != nil {
			return
		}
		if !told && err != nil {
			o.notef("container events: %v; trying again", err)
			told = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(2 * time.Second):
		}
	}
}
