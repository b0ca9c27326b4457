package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/draw"
	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// Labs is the Backend of this machine: the copies of the classes
// recorded here (class), their state (labs), checks (check), Docker's
// containers and sandboxed shells on emulated hosts.
type Labs struct {
	// IDs chooses each copy's shell uid and gid (SystemIDs if nil).
	IDs *IDs
	// GuardDir is a directory only root can enter, for the OVSDB relays
	// of host shells (internal/ovsdbguard); NewLabs makes one.
	GuardDir string
	// Logf logs what a shell's relay refused; nil logs nothing.
	Logf func(format string, args ...any)

	dockerMu sync.Mutex
	docker   *containers.Client
}

// NewLabs returns the Backend of this machine, with a relay directory
// of its own under /run; Close removes it.
func NewLabs(logf func(string, ...any)) (*Labs, error) {
	dir, err := os.MkdirTemp("/run", "ovslab-serve-")
	if err != nil {
		return nil, fmt.Errorf("relay directory: %w", err)
	}
	return &Labs{IDs: SystemIDs, GuardDir: dir, Logf: logf}, nil
}

// Close lets Docker go and removes the relay directory.
func (b *Labs) Close() error {
	b.dockerMu.Lock()
	if b.docker != nil {
		b.docker.Close()
		b.docker = nil
	}
	b.dockerMu.Unlock()
	if b.GuardDir == "" {
		return nil
	}
	return os.RemoveAll(b.GuardDir)
}

func (b *Labs) logf(format string, args ...any) {
	if b.Logf != nil {
		b.Logf(format, args...)
	}
}

// dockerClient is one connection to dockerd, shared and made again
// after a failure (forget).
func (b *Labs) dockerClient(ctx context.Context) (*containers.Client, error) {
	b.dockerMu.Lock()
	defer b.dockerMu.Unlock()
	if b.docker != nil {
		return b.docker, nil
	}
	dc, err := containers.Connect(ctx)
	if err != nil {
		return nil, err
	}
	b.docker = dc
	return dc, nil
}

// forget drops dc after it failed; the next call connects again. A
// terminal still using it keeps it until it closes.
func (b *Labs) forget(dc *containers.Client) {
	b.dockerMu.Lock()
	if b.docker == dc {
		b.docker = nil
	}
	b.dockerMu.Unlock()
}

// load reads lab's state and file, ErrLabDown when it is not here.
func load(lab string) (*labs.State, *labs.Source, error) {
	st, src, err := labs.Load(lab)
	if err != nil {
		if _, derr := labs.LoadState(lab); errors.Is(derr, fs.ErrNotExist) || errors.Is(err, labs.ErrUsage) {
			return nil, nil, fmt.Errorf("%w: %s (ovslab class up)", ErrLabDown, lab)
		}
		return nil, nil, err
	}
	return st, src, nil
}

// Lab reads lab: its state file and file, one Docker list of its
// containers, its last check, its stage.
func (b *Labs) Lab(ctx context.Context, lab string, full bool) (*LabView, error) {
	st, src, err := load(lab)
	if errors.Is(err, ErrLabDown) {
		return &LabView{State: StateDown, Problem: "not up on this machine"}, nil
	}
	if err != nil {
		return nil, err
	}
	t := src.Topo
	v := &LabView{State: StateUp, Traceable: canTrace}
	if st.Mode == labs.ModeEmulated {
		for _, h := range t.Hosts {
			if slices.Contains(st.Hosts, h.Name) {
				v.Hosts = append(v.Hosts, Node{Name: h.Name})
			}
		}
	}
	states := b.containerStates(ctx, lab)
	for _, c := range t.Containers {
		n := Node{Name: c.Name, Host: c.Host, State: "missing"}
		if states == nil {
			n.State = "unknown"
		} else if s, ok := states[t.DockerName(c.Name)]; ok {
			n.State = s
		}
		if n.State != "running" && v.State == StateUp {
			v.State, v.Problem = StateDegraded, fmt.Sprintf("container %s is %s", c.Name, n.State)
		}
		v.Containers = append(v.Containers, n)
	}
	if !st.Complete {
		v.State, v.Problem = StateIncomplete, "an up is running, or was cut short: ovslab up repairs it"
	}
	v.Stage = stageOf(lab)
	var results []check.Result
	if last, err := check.LoadLast(lab); err == nil {
		lc := &LastCheck{At: last.At, OK: last.Report.OK}
		lc.Passed, lc.Failed, lc.Skipped = last.Report.Counts()
		for _, r := range last.Report.Results {
			if r.Kind == check.KindExpect || r.Skipped {
				continue
			}
			if r.OK {
				lc.ProbesPassed++
			} else {
				lc.ProbesFailed++
			}
		}
		if full {
			lc.Results = last.Report.Results
		}
		v.LastCheck = lc
		results = last.Report.Results
	} else if !errors.Is(err, check.ErrNoCheck) {
		v.Problem = err.Error()
	}
	v.Expectations = expectations(t.Expect, results)
	return v, nil
}

// containerStates maps the Docker name of each of lab's containers to
// its state; nil when Docker could not be asked.
func (b *Labs) containerStates(ctx context.Context, lab string) map[string]string {
	dc, err := b.dockerClient(ctx)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	listed, err := dc.Listed(ctx, map[string]string{containers.LabLabel: lab})
	if err != nil {
		b.forget(dc)
		return nil
	}
	out := map[string]string{}
	for name, l := range listed {
		out[name] = l.State
	}
	return out
}

// expectations are the lab's expect: entries, each with the result
// its last check gave it.
func expectations(exps []topology.Expectation, results []check.Result) []Expectation {
	var graded []check.Result
	for _, r := range results {
		if r.Kind == check.KindExpect {
			graded = append(graded, r)
		}
	}
	out := make([]Expectation, 0, len(exps))
	for _, e := range exps {
		x := Expectation{From: e.From, To: e.To, Want: e.Want(), Message: e.Message}
		i := slices.IndexFunc(graded, func(r check.Result) bool {
			return r.From == e.From && r.Want == x.Want && (r.To == e.To || strings.HasPrefix(r.To, e.To+" ("))
		})
		if i >= 0 {
			r := graded[i]
			graded = slices.Delete(graded, i, i+1)
			ok := r.OK
			x.OK, x.Skipped, x.Detail = &ok, r.Skipped, r.Detail
		}
		out = append(out, x)
	}
	return out
}

// Graph draws lab coloured by its last check, or plain before one.
func (b *Labs) Graph(_ context.Context, lab string) ([]byte, error) {
	src, ov, err := check.Overlay(lab)
	if errors.Is(err, check.ErrNoCheck) {
		_, src, err = load(lab)
		ov = nil
	}
	if err != nil {
		return nil, err
	}
	return []byte(draw.SVG(src.Topo, ov)), nil
}

// Check grades lab as `ovslab check` does: its last check and its
// events are recorded, and the board hears of it through Watch.
func (b *Labs) Check(ctx context.Context, lab string) error {
	if _, _, err := load(lab); err != nil {
		return err
	}
	_, err := check.Run(ctx, lab, check.Options{})
	return err
}

// Reset takes lab back to its start (resetLab).
func (b *Labs) Reset(ctx context.Context, lab string) error {
	return resetLab(ctx, lab)
}

// Trace explains a path of lab (traceLab).
func (b *Labs) Trace(ctx context.Context, lab, from, to string) (any, error) {
	return traceLab(ctx, lab, from, to)
}

// Watch follows the events of every copy of every class recorded here,
// the classes recorded later included.
func (b *Labs) Watch(ctx context.Context) <-chan events.Event {
	return labs.Watch(ctx, labs.WatchOptions{Match: classCopies(), Reporter: labs.Reporter{Note: b.logf}})
}

// classCopies accepts the labs that are copies of a class recorded
// here, reading the records again at most every two seconds.
func classCopies() func(string) bool {
	var (
		mu     sync.Mutex
		copies []string
		read   time.Time
	)
	return func(lab string) bool {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(read) > 2*time.Second {
			copies = allCopies()
			read = time.Now()
		}
		return slices.Contains(copies, lab)
	}
}

// allCopies are the copies of every class recorded here.
func allCopies() []string {
	classes, _ := class.List() // a class that cannot be read serves no one
	var out []string
	for _, c := range classes {
		out = append(out, c.Copies()...)
	}
	return out
}

// classOf is the class lab is a copy of.
func classOf(lab string) (*class.Class, error) {
	classes, _ := class.List()
	for _, c := range classes {
		if _, ok := c.Student(lab); ok {
			return c, nil
		}
	}
	return nil, fmt.Errorf("lab %s is no copy of a class recorded here", lab)
}
