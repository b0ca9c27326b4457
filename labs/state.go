package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ovslab/ovslab/internal/durable"
	"github.com/ovslab/ovslab/topology"
)

// RunRoot is where every lab keeps its state; each lab has RunRoot/<lab>/.
var RunRoot = "/run/ovslab"

// Modes a lab can be in.
const (
	ModeEmulated = "emulated"
	ModeReal     = "real"
)

// State is what `up` records so that `down`, `status` and `exec` work from
// the lab's name alone, and so `down` can restore what `up` changed.
type State struct {
	Lab    string `json:"lab"`
	Mode   string `json:"mode"`
	Source string `json:"source"` // the file or builtin:<name> it came from
	// Topology is the file's text as applied, so later commands see the
	// lab exactly as it was built even if the file changed since.
	Topology string `json:"topology"`
	// OVSDB is the endpoint a real host's up used, so down and status
	// reach the same database without repeating --ovsdb.
	OVSDB string `json:"ovsdb,omitempty"`
	// Netns lists the namespaces this lab made (emulated), the only ones
	// `down` deletes.
	Netns []string `json:"netns,omitempty"`
	// Hosts are the hosts this machine applied (all of them when emulated).
	Hosts []string `json:"hosts"`
	// Restore holds values `up` replaced, per host: sysctls and MTUs.
	Restore map[string]*hostRestore `json:"restore,omitempty"`
	// KernelDatapath is the choice an emulated up made for hosts whose
	// datapath the file leaves open (true: system, false: netdev), so later
	// commands see the lab as built even if the module came or went since.
	KernelDatapath bool `json:"kernel_datapath,omitempty"`
	// PIDs maps each container's Docker name to the PID the last up saw:
	// only a hint that lets the next up skip a Docker inspect per
	// container, used once checked against the container (Spec.PIDHint).
	PIDs map[string]int `json:"pids,omitempty"`
	// HostsFiles maps each container's Docker name to the stamp of the
	// /etc/hosts the last up left it (containers.SetHostsStamped): while
	// the file still has it, the next up need not read it.
	HostsFiles map[string]string `json:"hosts_files,omitempty"`
	// Stage is the exercise's current stage ("" for a lab without
	// stages), StageApplied whether all its faults are applied, and
	// Faults what they changed here (faults.go).
	Stage        string          `json:"stage,omitempty"`
	StageApplied bool            `json:"stage_applied,omitempty"`
	Faults       []*appliedFault `json:"faults,omitempty"`
	// Complete is false while an `up` is in progress or was interrupted.
	Complete bool `json:"complete"`
}

// hostRestore holds what `down` puts back on one host.
type hostRestore struct {
	IPForward string         `json:"ip_forward,omitempty"` // previous net.ipv4.ip_forward
	MTU       map[string]int `json:"mtu,omitempty"`        // interface → previous MTU
	// ARPIgnore maps the NIC under br-phy to its previous
	// net.ipv4.conf.NIC.arp_ignore (see muteNICARP).
	ARPIgnore map[string]string `json:"arp_ignore,omitempty"`
	Underlay  *underlayMove     `json:"underlay,omitempty"` // address moved onto br-phy
}

var errBadName = topology.ErrBadLabName

// errNoLab is returned when a lab has no state on this machine.
var errNoLab = errors.New("no such lab on this machine")

// Dir returns the lab's state directory. The name is checked again here,
// not only in the topology, because it also arrives from the command line
// and must never reach outside RunRoot.
func Dir(lab string) (string, error) {
	if !topology.ValidLabName(lab) {
		return "", fmt.Errorf("lab name %q: %w", lab, errBadName)
	}
	return filepath.Join(RunRoot, lab), nil
}

// HostRunDir is the OVS run directory of emulated host h of lab.
func HostRunDir(lab, host string) string { return filepath.Join(RunRoot, lab, host) }

func statePath(lab string) (string, error) {
	d, err := Dir(lab)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "state.json"), nil
}

// LoadState reads a lab's state; errNoLab if it has none.
func LoadState(lab string) (*State, error) {
	var s State
	if err := readState(lab, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// readState decodes lab's state file into v: a State, or a view of the
// fields a caller needs.
func readState(lab string, v any) error {
	p, err := statePath(lab)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("lab %q: %w (ovslab status lists the labs here)", lab, errNoLab)
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("lab %s: %w: %s: %v", lab, errBadState, p, err)
	}
	return nil
}

// errBadState is returned by LoadState when the state file exists but
// cannot be read as a state (cut short by a crash, or edited): callers
// treat it like missing state and work from the lab's marks.
var errBadState = errors.New("unreadable state")

// Save writes the state atomically, so an interrupted `up` or a crash of
// the machine never leaves a half-written file: the new text is synced to
// disk before it replaces the old, and the rename itself is synced.
func (s *State) Save() error {
	p, err := statePath(s.Lab)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := durable.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("state of lab %s: %w", s.Lab, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("state of lab %s: %w", s.Lab, err)
	}
	return durable.SyncDir(filepath.Dir(p))
}

// restoreFor returns the restore record of host, creating it.
func (s *State) restoreFor(host string) *hostRestore {
	if s.Restore == nil {
		s.Restore = map[string]*hostRestore{}
	}
	r := s.Restore[host]
	if r == nil {
		r = &hostRestore{MTU: map[string]int{}}
		s.Restore[host] = r
	}
	if r.MTU == nil {
		r.MTU = map[string]int{}
	}
	if r.ARPIgnore == nil {
		r.ARPIgnore = map[string]string{}
	}
	return r
}

// Labs lists the labs that have state on this machine.
func Labs() ([]string, error) {
	ents, err := os.ReadDir(RunRoot)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(RunRoot, e.Name(), "state.json")); e.IsDir() && err == nil {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// usageIfMissing makes "no such lab" and a bad lab name usage errors (exit
// 2); anything else (an unreadable state file) stays what it is.
func usageIfMissing(err error) error {
	if errors.Is(err, errNoLab) || errors.Is(err, errBadName) {
		return Usagef("%v", err)
	}
	return err
}
