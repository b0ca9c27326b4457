package fleet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// The machine that drives a lab with up --all remembers the file it
// brought up, so every later --all command (check, status, trace, down)
// takes the lab's name, as the hosts' own commands do. The record is the
// driving user's, under their home (the driver need not be root, and a
// teacher's laptop reboots): $XDG_STATE_HOME/ovslab/fleet/LAB.json, else
// ~/.local/state/ovslab/fleet/LAB.json.

// record is what is remembered of a lab driven from here.
type record struct {
	Lab      string `json:"lab"`
	Source   string `json:"source"`   // the file as given to up --all
	Topology string `json:"topology"` // its text as brought up
}

// ErrNotDriven is returned by Recall for a lab this machine did not
// bring up with up --all.
var ErrNotDriven = errors.New("not brought up from this machine with up --all")

func recordPath(lab string) (string, error) {
	if !topology.ValidLabName(lab) {
		return "", fmt.Errorf("lab name %q: %w", lab, topology.ErrBadLabName)
	}
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(dir, "ovslab", "fleet", lab+".json"), nil
}

// Remember records that this machine drives the lab of src.
func Remember(src *labs.Source) error {
	p, err := recordPath(src.Topo.Name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("remember lab %s: %w", src.Topo.Name, err)
	}
	b, err := json.MarshalIndent(record{Lab: src.Topo.Name, Source: src.Name, Topology: string(src.Data)}, "", "  ")
	if err != nil {
		return err
	}
	// A new file renamed over the old: a reader sees one or the other,
	// and a symlink at the final name is replaced, never followed.
	tmp, err := os.CreateTemp(filepath.Dir(p), ".lab-*")
	if err != nil {
		return fmt.Errorf("remember lab %s: %w", src.Topo.Name, err)
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("remember lab %s: %w", src.Topo.Name, err)
	}
	return nil
}

// Recall returns the topology lab was brought up from by up --all on
// this machine; ErrNotDriven if it was not.
func Recall(lab string) (*labs.Source, error) {
	p, err := recordPath(lab)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lab %s: %w", lab, ErrNotDriven)
	}
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil || r.Lab != lab {
		return nil, fmt.Errorf("%s is unreadable (%v): run up --all with the lab's file again", p, err)
	}
	return labs.FromData(r.Source, []byte(r.Topology))
}

// Forget drops the record of lab (down --all); none is fine.
func Forget(lab string) error {
	p, err := recordPath(lab)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
