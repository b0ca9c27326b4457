package class

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/labs"
)

// States of a copy in CopyStatus.
const (
	StateUp         = "up"         // complete, every object as planned
	StateDegraded   = "degraded"   // complete, but something is not as planned (see the status)
	StateIncomplete = "incomplete" // an up is running, or was cut short
	StateDown       = "down"       // not on this machine
)

// CopyStatus is one student's copy as this machine holds it, and its
// last check.
type CopyStatus struct {
	Student   string       `json:"student"`
	Lab       string       `json:"lab"`
	State     string       `json:"state"`
	Status    *labs.Status `json:"status,omitempty"`
	LastCheck *LastCheck   `json:"last_check,omitempty"`
	Error     string       `json:"error,omitempty"` // the status could not be read
}

// LastCheck is the verdict of a copy's last check (check.LoadLast).
type LastCheck struct {
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Passed  int       `json:"passed"`
	Failed  int       `json:"failed"`
	Skipped int       `json:"skipped"`
}

// StatusOptions are the knobs of class status.
type StatusOptions struct {
	labs.Reporter
	Parallel int // copies read at once; 0: DefaultParallel()
}

// Status reads every student's copy, o.Parallel at a time, in the
// students' order. A copy not here is StateDown, without asking any
// daemon.
func Status(ctx context.Context, c *Class, o StatusOptions) ([]CopyStatus, error) {
	here, err := labs.Labs()
	if err != nil {
		return nil, err
	}
	docker := dockerView(ctx, c)
	out := make([]CopyStatus, len(c.Students))
	eachStudent(ctx, c, c.Students, o.Parallel, func(s string) error {
		i := slices.Index(c.Students, s)
		out[i] = copyStatus(ctx, c, s, slices.Contains(here, c.Copy(s)), docker, o)
		return nil
	})
	return out, ctx.Err()
}

func copyStatus(ctx context.Context, c *Class, s string, here bool, docker *labs.DockerView, o StatusOptions) CopyStatus {
	cs := CopyStatus{Student: s, Lab: c.Copy(s), State: StateDown}
	if !here {
		return cs
	}
	st, err := labs.GetStatus(ctx, cs.Lab, labs.StatusOptions{Reporter: prefixed(o.Reporter, s), Docker: docker})
	if err != nil {
		cs.Error = err.Error()
		return cs
	}
	cs.Status = st
	switch {
	case !st.Complete:
		cs.State = StateIncomplete
	case slices.ContainsFunc(st.Hosts, func(h labs.HostStatus) bool { return !h.OK() }):
		cs.State = StateDegraded
	default:
		cs.State = StateUp
	}
	if last, err := check.LoadLast(cs.Lab); err == nil {
		p, f, sk := last.Report.Counts()
		cs.LastCheck = &LastCheck{At: last.At, OK: last.Report.OK, Passed: p, Failed: f, Skipped: sk}
	} else if !errors.Is(err, check.ErrNoCheck) {
		cs.Error = err.Error()
	}
	return cs
}

// Graded is one student's copy graded by Check: its report, or why it
// could not be graded (a copy that is down).
type Graded struct {
	Student string
	Lab     string
	Report  *check.Report
	Err     error
}

// CheckOptions are the knobs of class check.
type CheckOptions struct {
	labs.Reporter
	Full     bool // every copy's whole probe matrix (check --full)
	Parallel int  // copies graded at once; 0: DefaultCheckParallel
}

// DefaultCheckParallel is how many copies Check grades at once unless
// told. A copy's check mostly waits: its isolation sample listens 500 ms
// for an ARP reply that must not come, and its pings for replies. With
// as few copies at once as come up at once (DefaultParallel), 100 copies
// waited for each other in rounds; the CPU the checks need is the same
// however many overlap.
const DefaultCheckParallel = 32

// Check grades every student's copy, o.Parallel at a time, each as
// `ovslab check` does (its last check and its events are recorded), in
// the students' order.
func Check(ctx context.Context, c *Class, o CheckOptions) ([]Graded, error) {
	here, err := labs.Labs()
	if err != nil {
		return nil, err
	}
	docker := dockerView(ctx, c)
	out := make([]Graded, len(c.Students))
	parallel := o.Parallel
	if parallel <= 0 {
		parallel = DefaultCheckParallel
	}
	eachStudent(ctx, c, c.Students, parallel, func(s string) error {
		g := Graded{Student: s, Lab: c.Copy(s)}
		if !slices.Contains(here, g.Lab) {
			g.Err = errors.New("not up (ovslab class up)")
		} else {
			g.Report, g.Err = check.Run(ctx, g.Lab, check.Options{Reporter: prefixed(o.Reporter, s), Full: o.Full, Docker: docker})
		}
		out[slices.Index(c.Students, s)] = g
		return nil
	})
	return out, ctx.Err()
}

// dockerView is Docker's view of every copy of c, read in one list, or
// nil when Docker cannot be asked: then each copy asks on its own and
// reports why it could not in its status.
func dockerView(ctx context.Context, c *Class) *labs.DockerView {
	v, err := labs.ReadDockerView(ctx, c.Name+"-")
	if err != nil {
		return nil
	}
	return v
}
