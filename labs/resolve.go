package labs

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// Source is a topology as given on the command line: a file or the name of
// a built-in lab, its text, and the validated model.
type Source struct {
	Name string // the path, or builtin:<lab>
	Data []byte
	Topo *topology.Topology
}

// ErrUsage marks errors in what the user typed (exit 2); errors.Is finds
// it in errors made by Usagef.
var ErrUsage = errors.New("usage")

type usageError struct{ msg string }

func (e *usageError) Error() string        { return e.msg }
func (e *usageError) Is(target error) bool { return target == ErrUsage }

// Usagef makes an error in what the user typed: exit 2, and a message
// that reads as the problem itself.
func Usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// Resolve reads arg as a file if one exists at that path, else as the name
// of a built-in lab. Errors from a bad file are topology errors (exit 2).
func Resolve(arg string) (*Source, error) {
	data, err := topology.ReadFile(arg)
	if err == nil {
		// Absolute, so status and check re-read it (and its build:
		// paths) the same from any directory.
		name, aerr := filepath.Abs(arg)
		if aerr != nil {
			name = arg
		}
		src, err := sourceFromData(name, data)
		if err != nil {
			return nil, err
		}
		// A file the user just gave must also make sense on this machine.
		if err := src.Topo.CheckBuildDirs(); err != nil {
			return nil, err
		}
		return src, nil
	}
	// A directory named like a built-in lab (e.g. the catalog's own) is
	// not a file: fall back to the catalog.
	if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscall.EISDIR) {
		return nil, Usagef("%v", err)
	}
	if data, ok := catalog.Get(arg); ok {
		return sourceFromData(topology.BuiltinPrefix+arg, data)
	}
	return nil, Usagef("%s: no such file, and no built-in lab of that name (ovslab labs lists them)", arg)
}

// fromState re-reads the topology a lab was built from.
func fromState(st *State) (*Source, error) {
	t, err := topology.Parse(st.Source, []byte(st.Topology))
	if err != nil {
		return nil, fmt.Errorf("lab %s: recorded topology: %w", st.Lab, err)
	}
	// A copy (up --name) records the file as given; its name is the state's.
	if t.Name != st.Lab {
		if err := t.Rename(st.Lab); err != nil {
			return nil, fmt.Errorf("lab %s: %w", st.Lab, err)
		}
	}
	if st.Mode == ModeEmulated {
		t.ForEmulation(st.KernelDatapath)
	}
	return &Source{Name: st.Source, Data: []byte(st.Topology), Topo: t}, nil
}

// sourceFromData parses text that did not come from a file argument.
func sourceFromData(name string, data []byte) (*Source, error) {
	t, err := topology.Parse(name, data)
	if err != nil {
		return nil, err
	}
	return &Source{Name: name, Data: data, Topo: t}, nil
}

// FromData is a topology that arrived as text rather than as a file on
// this machine, e.g. on stdin from `up --all`; name says where it came
// from and is what status shows. Build contexts are not checked here: a
// relative build: names a directory on the machine the file came from.
func FromData(name string, data []byte) (*Source, error) {
	return sourceFromData(name, data)
}
