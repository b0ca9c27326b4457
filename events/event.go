package events

import "time"

// Event is one thing that happened to a lab, as one line of JSON.
type Event struct {
	Time   time.Time      `json:"time"`
	Lab    string         `json:"lab"`
	Type   string         `json:"type"`
	Fields map[string]any `json:"fields,omitempty"`
}

// Types of events. A reader must skip types it does not know: new ones
// are added as commands that change a lab are.
const (
	UpStart   = "up.start"   // an up took the lab's lock: fields mode, source
	UpStep    = "up.step"    // a step of up: message
	UpDone    = "up.done"    // up converged the lab: seconds
	UpFail    = "up.fail"    // up stopped on an error: error, seconds
	DownStart = "down.start" // a down took the lab's lock
	DownStep  = "down.step"  // a step of down: message
	DownDone  = "down.done"  // the lab is gone: seconds
	DownFail  = "down.fail"  // down stopped on an error (its state is kept): error
	// CheckStart and CheckDone bracket a grading: ok, passed, failed,
	// skipped and stage on done; the report is check.LoadLast's.
	CheckStart = "check.start"
	CheckDone  = "check.done"
	CheckFail  = "check.fail" // the check could not run (not a failed probe): error
	// Container events come from Docker's own stream, live only (no log
	// file holds them): node, host, container, and exit_code on die.
	ContainerStart = "container.start"
	ContainerDie   = "container.die"
	ContainerOOM   = "container.oom"
)

// Types lists every type of event ovslab makes, in docs/events.md's order.
var Types = []string{UpStart, UpStep, UpDone, UpFail, DownStart, DownStep, DownDone, DownFail,
	CheckStart, CheckDone, CheckFail, ContainerStart, ContainerDie, ContainerOOM}
