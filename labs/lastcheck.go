package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// ErrNoCheck is returned when no `ovslab check` has run on a lab yet.
var ErrNoCheck = errors.New("no check has run on this lab yet")

// LastCheck is the last `ovslab check` of a lab, kept next to its state
// so `ovslab graph LAB --check` can draw it.
type LastCheck struct {
	At     time.Time    `json:"at"`
	Report *CheckReport `json:"report"`
}

func lastCheckPath(lab string) (string, error) {
	d, err := Dir(lab)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "check.json"), nil
}

// saveLastCheck records rep atomically: a reader sees the previous check
// or this one, never half of one.
func saveLastCheck(rep *CheckReport) error {
	p, err := lastCheckPath(rep.Lab)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(LastCheck{At: time.Now().UTC(), Report: rep}, "", "  ")
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("record the check of lab %s: %w", rep.Lab, err)
	}
	return os.Rename(tmp, p)
}

// LoadLastCheck reads the last check of lab; ErrNoCheck if none has run
// since it came up.
func LoadLastCheck(lab string) (*LastCheck, error) {
	p, err := lastCheckPath(lab)
	if err != nil {
		return nil, Usagef("%v", err)
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("lab %s: %w: run ovslab check %s first", lab, ErrNoCheck, lab)
	}
	if err != nil {
		return nil, err
	}
	var lc LastCheck
	if err := json.Unmarshal(b, &lc); err != nil || lc.Report == nil {
		return nil, fmt.Errorf("%s is unreadable (%v): run ovslab check %s again", p, err, lab)
	}
	return &lc, nil
}
