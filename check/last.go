package check

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ovslab/ovslab/labs"
)

// ErrNoCheck is returned when no `ovslab check` has run on a lab yet.
var ErrNoCheck = errors.New("no check has run on this lab yet")

// Last is the last `ovslab check` of a lab, kept next to its state
// so `ovslab graph LAB --check` can draw it.
type Last struct {
	At     time.Time `json:"at"`
	Report *Report   `json:"report"`
}

func lastPath(lab string) (string, error) {
	d, err := labs.Dir(lab)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "check.json"), nil
}

// saveLast records rep atomically: a reader sees the previous check
// or this one, never half of one.
func saveLast(rep *Report) error {
	p, err := lastPath(rep.Lab)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(Last{At: time.Now().UTC(), Report: rep}, "", "  ")
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record the check of lab %s: %w", rep.Lab, err)
	}
	return os.Rename(tmp, p)
}

// LoadLast reads the last check of lab; ErrNoCheck if none has run
// since it came up.
func LoadLast(lab string) (*Last, error) {
	p, err := lastPath(lab)
	if err != nil {
		return nil, labs.Usagef("%v", err)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lab %s: %w: run ovslab check %s first", lab, ErrNoCheck, lab)
	}
	if err != nil {
		return nil, err
	}
	var lc Last
	if err := json.Unmarshal(b, &lc); err != nil || lc.Report == nil {
		return nil, fmt.Errorf("%s is unreadable (%v): run ovslab check %s again", p, err, lab)
	}
	return &lc, nil
}
