package class

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/ovslab/ovslab/labs"
)

// Root is where this machine records its classes, a directory each
// (mode 0700, files 0600): what `ovslab serve` serves, and the secrets
// the tokens are made from. It outlives a reboot, as the URLs handed to
// students must.
var Root = "/var/lib/ovslab/classes"

// Files of a class's directory.
const (
	recordFile = "class.json"
	secretFile = "secret"
)

// ErrNoClass is returned for a class this machine has no record of.
var ErrNoClass = errors.New("no such class on this machine")

// record is a class as recorded: enough to serve it and to make any of
// its copies again without the class file.
type record struct {
	Class    string    `json:"class"`
	File     string    `json:"file,omitempty"`
	Lab      string    `json:"lab"`      // the lab's source (builtin:NAME or a path)
	Topology string    `json:"topology"` // the lab's text, as the copies were made from it
	Students []string  `json:"students"`
	Updated  time.Time `json:"updated"`
}

// register records c on this machine, replacing what was recorded of it,
// and makes its secret if it has none (tokens stay as they were).
func register(c *Class) error {
	dir, err := classDir(c.Name, true)
	if err != nil {
		return err
	}
	defer dir.Close()
	b, err := json.MarshalIndent(record{Class: c.Name, File: c.File, Lab: c.Lab.Name, Topology: string(c.Lab.Data),
		Students: c.Students, Updated: time.Now().UTC()}, "", "  ")
	if err != nil {
		return err
	}
	if err := writeAt(dir, recordFile, append(b, '\n')); err != nil {
		return fmt.Errorf("record class %s: %w", c.Name, err)
	}
	if _, err := createAt(dir, secretFile, newSecret()); err != nil {
		return fmt.Errorf("class %s: secret: %w", c.Name, err)
	}
	return nil
}

// classDir opens the class's directory under Root.
func classDir(name string, create bool) (*os.File, error) {
	if !namePattern.MatchString(name) {
		return nil, labs.Usagef("class name %q is not valid: lowercase letters, digits and '-'", name)
	}
	dir, err := openDir(filepath.Join(Root, name), create)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("class %s: %w (ovslab class up FILE records it)", name, ErrNoClass)
	}
	return dir, err
}

// Get reads the class recorded here under name.
func Get(name string) (*Class, error) {
	dir, err := classDir(name, false)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	return readRecord(dir, name)
}

func readRecord(dir *os.File, name string) (*Class, error) {
	b, err := readAt(dir, recordFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("class %s: %w (its directory %s holds no record)", name, ErrNoClass, dir.Name())
	}
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("class %s: %s: %v", name, filepath.Join(dir.Name(), recordFile), err)
	}
	if r.Class != name {
		return nil, fmt.Errorf("class %s: %s records class %q", name, filepath.Join(dir.Name(), recordFile), r.Class)
	}
	src, err := labs.FromData(r.Lab, []byte(r.Topology))
	if err != nil {
		return nil, fmt.Errorf("class %s: recorded lab: %w", name, err)
	}
	return &Class{Name: r.Class, Lab: src, Students: r.Students, File: r.File}, nil
}

// List reads every class recorded on this machine, sorted by name. A
// class whose record cannot be read is named in the error, and the
// others are still returned.
func List() ([]*Class, error) {
	root, err := openDir(Root, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer root.Close()
	names, err := root.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []*Class
	var errs []error
	for _, n := range names {
		if !namePattern.MatchString(n) {
			continue // a temporary file, or not ours
		}
		c, err := Get(n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// Forget removes the class's record and its secret: its tokens stop
// working. Its copies are not touched (Down takes them down).
func Forget(name string) error {
	if !namePattern.MatchString(name) {
		return labs.Usagef("class name %q is not valid: lowercase letters, digits and '-'", name)
	}
	root, err := openDir(Root, false)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()
	return removeDirAt(root, name)
}

// owners maps each copy recorded here to its class, for classes other
// than except.
func owners(except string) (map[string]string, error) {
	classes, err := List()
	out := map[string]string{}
	for _, c := range classes {
		if c.Name == except {
			continue
		}
		for _, l := range c.Copies() {
			out[l] = c.Name
		}
	}
	return out, err
}
