package server

import (
	"context"
	"errors"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/internal/webterm"
)

// Backend is what the server serves: the labs of this machine (Labs), or
// a stand-in in tests. The server has decided who may act on lab before
// it calls any of these.
type Backend interface {
	// Lab is lab as it stands; full adds every result of its last check.
	Lab(ctx context.Context, lab string, full bool) (*LabView, error)
	// Graph is the lab's picture as SVG, coloured by its last check.
	Graph(ctx context.Context, lab string) ([]byte, error)
	// Check grades lab, as `ovslab check` does; it returns when done.
	Check(ctx context.Context, lab string) error
	// Reset takes lab back to its start; it returns when done.
	Reset(ctx context.Context, lab string) error
	// Trace explains the path between two nodes of lab; ErrNoTrace
	// while this build has no trace.
	Trace(ctx context.Context, lab, from, to string) (any, error)
	// Watch streams the events of every lab until ctx ends.
	Watch(ctx context.Context) <-chan events.Event
	// Terminal opens a terminal on node of lab: a container's TTY or a
	// sandboxed shell on an emulated host. Closing it ends everything
	// it started. ErrNoNode when lab has no such node.
	Terminal(ctx context.Context, lab, node string, cols, rows uint16) (webterm.Terminal, error)
}

// Errors a Backend returns that the server answers with their own status.
var (
	ErrNoNode  = errors.New("no such node in this lab")          // 404
	ErrLabDown = errors.New("the lab is not up on this machine") // 409
	ErrNoTrace = errors.New("trace is not available")            // 501
)

// States of a lab in LabView.
const (
	StateUp         = "up"         // complete, every container running
	StateDegraded   = "degraded"   // complete, but a container is not running
	StateIncomplete = "incomplete" // an up or reset is running, or was cut short
	StateDown       = "down"       // not on this machine
)

// LabView is one lab as GET /api/labs/{lab} shows it (docs/serve.md).
type LabView struct {
	Lab     string `json:"lab"`
	Class   string `json:"class"`
	Student string `json:"student"`
	State   string `json:"state"`
	// Problem says, in words, why the lab is not up.
	Problem string `json:"problem,omitempty"`
	Stage   *Stage `json:"stage,omitempty"`
	// Hosts are the emulated hosts (a sandboxed shell each), Containers
	// the containers (a terminal each), both in the file's order.
	Hosts        []Node        `json:"hosts"`
	Containers   []Node        `json:"containers"`
	Expectations []Expectation `json:"expectations"`
	LastCheck    *LastCheck    `json:"last_check,omitempty"`
	// Busy is "check" or "reset" while this server runs one on the lab.
	Busy string `json:"busy,omitempty"`
	// Traceable says POST /api/labs/{lab}/trace explains its paths.
	Traceable bool `json:"traceable"`
}

// Node is a host or container of a lab.
type Node struct {
	Name  string `json:"name"`
	Host  string `json:"host,omitempty"`  // a container's host
	State string `json:"state,omitempty"` // a container's: running, exited, ..., missing
}

// Stage is the exercise stage a lab is in.
type Stage struct {
	Name  string `json:"name"`
	Text  string `json:"text,omitempty"`
	Index int    `json:"index"` // 1-based
	Count int    `json:"count"`
}

// Expectation is one expect: entry of the lab and how its last check
// graded it (OK nil: not graded yet).
type Expectation struct {
	From    string `json:"from"`
	To      string `json:"to"`
	Want    string `json:"want"`
	Message string `json:"message,omitempty"`
	OK      *bool  `json:"ok,omitempty"`
	Skipped bool   `json:"skipped,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// LastCheck is the verdict of a lab's last check; Results only in a
// full view.
type LastCheck struct {
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Passed  int       `json:"passed"`
	Failed  int       `json:"failed"`
	Skipped int       `json:"skipped"`
	// ProbesPassed and ProbesFailed count the built-in probes alone,
	// the expectations apart.
	ProbesPassed int            `json:"probes_passed"`
	ProbesFailed int            `json:"probes_failed"`
	Results      []check.Result `json:"results,omitempty"`
}
