package check

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
// or this one, never half of one. It writes the results one a line as it
// encodes them: a check --full of a thousand containers has most of a
// million, and the whole report encoded at once would need as much
// memory again.
func saveLast(rep *Report) error {
	p, err := lastPath(rep.Lab)
	if err != nil {
		return err
	}
	tmp := p + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("record the check of lab %s: %w", rep.Lab, err)
	}
	err = writeLast(f, time.Now().UTC(), rep)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("record the check of lab %s: %w", rep.Lab, err)
	}
	return os.Rename(tmp, p)
}

// writeLast writes what LoadLast reads: Last{at, rep} as JSON, each
// result encoded on its own.
func writeLast(w io.Writer, at time.Time, rep *Report) error {
	head := *rep
	head.Results = nil
	hb, err := json.Marshal(Last{At: at, Report: &head})
	if err != nil {
		return err
	}
	// hb ends in `"results":null}}`: open the list there instead.
	open, ok := bytes.CutSuffix(hb, []byte(`null}}`))
	if !ok {
		return fmt.Errorf("unexpected encoding of a check's header: %s", hb)
	}
	bw := bufio.NewWriter(w)
	bw.Write(open)
	bw.WriteString("[\n")
	for i := range rep.Results {
		b, err := json.Marshal(&rep.Results[i])
		if err != nil {
			return err
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		bw.Write(b)
	}
	bw.WriteString("\n]}}\n")
	return bw.Flush()
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
