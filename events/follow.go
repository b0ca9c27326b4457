package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"
)

// Follower reads event logs as they grow: each Poll returns the events
// appended since the one before, for every path it is given. A log that
// is rotated or removed is read to its end before the one at its path
// is opened, so no line written to it is lost; a log that appears is
// read from its start. Events from before the Follower was made are
// skipped: it follows from now.
type Follower struct {
	since time.Time
	open  map[string]*tail
}

type tail struct {
	f       *os.File
	partial []byte // a line whose end is not written yet
}

// NewFollower returns a Follower of events from now on.
func NewFollower() *Follower {
	return &Follower{since: time.Now(), open: map[string]*tail{}}
}

// Since is when the Follower began: the events it returns are from then on.
func (fl *Follower) Since() time.Time { return fl.since }

// Poll returns what the logs at paths gained since the last Poll, each
// log's events in its order. A log no longer in paths (its lab's
// directory is gone) is read to its end, then let go: the last lines a
// down wrote before removing it are not lost.
func (fl *Follower) Poll(paths []string) []Event {
	var out []Event
	for p, t := range fl.open {
		if !slices.Contains(paths, p) {
			out = append(out, fl.read(t)...)
			t.f.Close()
			delete(fl.open, p)
		}
	}
	for _, p := range paths {
		out = append(out, fl.poll(p)...)
	}
	return out
}

// Close lets every log go.
func (fl *Follower) Close() {
	for p, t := range fl.open {
		t.f.Close()
		delete(fl.open, p)
	}
}

func (fl *Follower) poll(path string) []Event {
	var out []Event
	t := fl.open[path]
	if t == nil {
		f, err := openRead(path)
		if err != nil {
			return nil // not there (yet), or not a log
		}
		t = &tail{f: f}
		fl.open[path] = t
	}
	out = append(out, fl.read(t)...)
	// Replaced or removed: what was written to the old file before that
	// is read above or here, then the new one is opened.
	if fi, err := t.f.Stat(); err == nil {
		if at, err := os.Lstat(path); err != nil || !os.SameFile(fi, at) {
			out = append(out, fl.read(t)...)
			t.f.Close()
			delete(fl.open, path)
			// Rotated twice since the last Poll: the log in between is
			// PATH.1 (two more, 128 KiB within one Poll, would be lost).
			if mid, merr := os.Lstat(path + ".1"); merr == nil && !os.SameFile(fi, mid) {
				for _, e := range readAll(path + ".1") {
					if !e.Time.Before(fl.since) {
						out = append(out, e)
					}
				}
			}
			if err == nil {
				out = append(out, fl.poll(path)...)
			}
		}
	}
	return out
}

// read returns the complete lines t's file gained, as events from since on.
func (fl *Follower) read(t *tail) []Event {
	var out []Event
	buf := make([]byte, 32<<10)
	for {
		n, err := t.f.Read(buf)
		t.partial = append(t.partial, buf[:n]...)
		for {
			i := bytes.IndexByte(t.partial, '\n')
			if i < 0 {
				break
			}
			if e, ok := decode(t.partial[:i]); ok && !e.Time.Before(fl.since) {
				out = append(out, e)
			}
			t.partial = t.partial[i+1:]
		}
		if len(t.partial) > maxLine {
			t.partial = nil // no writer makes such a line: not a log
		}
		if err != nil || n == 0 {
			return out
		}
	}
}

func openRead(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fs.ErrInvalid
	}
	return f, nil
}

func decode(line []byte) (Event, bool) {
	var e Event
	if len(line) > maxLine || json.Unmarshal(line, &e) != nil || e.Type == "" || e.Lab == "" {
		return Event{}, false
	}
	return e, true
}

// Last returns the last n events of the logs at paths, oldest first,
// from each log and the one it was rotated to.
func Last(paths []string, n int) []Event {
	if n <= 0 {
		return nil
	}
	var all []Event
	for _, p := range paths {
		evs := readAll(p)
		if len(evs) < n {
			evs = append(readAll(p+".1"), evs...)
		}
		all = append(all, evs[max(0, len(evs)-n):]...)
	}
	slices.SortStableFunc(all, func(a, b Event) int { return a.Time.Compare(b.Time) })
	return all[max(0, len(all)-n):]
}

func readAll(path string) []Event {
	f, err := openRead(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 4*MaxLogSize))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil
	}
	var out []Event
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if e, ok := decode(line); ok {
			out = append(out, e)
		}
	}
	return out
}
