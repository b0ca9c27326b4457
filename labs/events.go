package labs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ovslab/ovslab/events"
)

// eventsFile is a lab's event log, in its state directory: down removes
// it with the lab, and only root can read it (events.Append).
const eventsFile = "events.jsonl"

// EventsPath is the file lab's events are appended to.
func EventsPath(lab string) (string, error) {
	d, err := Dir(lab)
	if err != nil {
		return "", err
	}
	return filepath.Join(d, eventsFile), nil
}

// Emit appends one event of type typ to lab's log, if the lab has a state
// directory here. Commands that change or grade a lab call it (up, down,
// check; stage and reset): one line each, from any process, read by
// `ovslab events` and the classroom server. A lab that is not here has
// no log, and that is no error.
func Emit(lab, typ string, fields map[string]any) error {
	p, err := EventsPath(lab)
	if err != nil {
		return err
	}
	err = events.Append(p, events.Event{Time: time.Now().UTC(), Lab: lab, Type: typ, Fields: fields})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// lifecycle is the events of one up or down: its start once it holds
// the lab's lock, each progress step, and how it ended, once. Events are
// a record of what a command did, never a reason for it to fail: a log
// that cannot be written loses the line.
type lifecycle struct {
	lab              string
	start            time.Time
	step, done, fail string
	once             sync.Once
}

func beginUp(lab, mode, source string) *lifecycle {
	l := &lifecycle{lab: lab, start: time.Now(), step: events.UpStep, done: events.UpDone, fail: events.UpFail}
	_ = Emit(lab, events.UpStart, map[string]any{"mode": mode, "source": source})
	return l
}

func beginDown(lab string) *lifecycle {
	l := &lifecycle{lab: lab, start: time.Now(), step: events.DownStep, done: events.DownDone, fail: events.DownFail}
	_ = Emit(lab, events.DownStart, nil)
	return l
}

// steps is r with every progress step also logged.
func (l *lifecycle) steps(r Reporter) Reporter {
	progress := r.Progress
	r.Progress = func(format string, args ...any) {
		_ = Emit(l.lab, l.step, map[string]any{"message": fmt.Sprintf(format, args...)})
		if progress != nil {
			progress(format, args...)
		}
	}
	return r
}

// end logs how the command ended; only the first call counts, so a down
// can log its end before it removes the directory the log is in.
func (l *lifecycle) end(err error) {
	l.once.Do(func() {
		f := map[string]any{"seconds": time.Since(l.start).Round(time.Millisecond).Seconds()}
		typ := l.done
		if err != nil {
			typ, f["error"] = l.fail, err.Error()
		}
		_ = Emit(l.lab, typ, f)
	})
}

// removeDir ends a down that succeeded: the event first, as the log goes
// with the directory.
func (l *lifecycle) removeDir(dir string) error {
	l.end(nil)
	return os.RemoveAll(dir)
}
