package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"syscall"
	"unicode/utf8"
)

// MaxLogSize is the size past which a log is rotated: the file becomes
// PATH.1 (replacing the one before) and a new one starts, so a lab keeps
// at most about twice this. An up of the reference lab writes about 25
// lines of 150 bytes, a check one.
const MaxLogSize = 64 << 10

// maxLine bounds one event's line; longer text fields (an error joining
// those of many containers) are cut to fit. Readers skip longer lines.
const maxLine = 4 << 10

// Append adds e to the log at path as one line, creating the file (mode
// 0600) but never its directory: a lab whose directory is gone has no
// log. Several processes append at once: each line is written whole
// under an exclusive lock on the file, and only to the file at path, so
// a rotation by another writer loses nothing.
func Append(path string, e Event) error {
	line, err := encode(e)
	if err != nil {
		return err
	}
	for range 8 {
		f, err := openLog(path)
		if err != nil {
			return err
		}
		done, err := appendLocked(f, path, line)
		f.Close()
		if done || err != nil {
			return err
		}
	}
	return fmt.Errorf("events %s: the file was replaced under every try", path)
}

// openLog opens path for appending without following a symlink; a FIFO
// or device put there does not block or receive the line.
func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("events %s: not a regular file", path)
	}
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		err = f.Chmod(0o600)
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// appendLocked writes line to f under its lock if f is still the file at
// path, rotating it first when full; false asks the caller to open path
// again.
func appendLocked(f *os.File, path string, line []byte) (bool, error) {
	if err := flock(f, syscall.LOCK_EX); err != nil {
		return false, fmt.Errorf("events %s: lock: %w", path, err)
	}
	defer flock(f, syscall.LOCK_UN)
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if at, err := os.Lstat(path); err != nil || !os.SameFile(fi, at) {
		return false, nil // rotated or removed since we opened it
	}
	if fi.Size() > 0 && fi.Size()+int64(len(line)) > MaxLogSize {
		// Under the lock: the writers waiting on this file see it is no
		// longer at path and open the new one.
		if err := os.Rename(path, path+".1"); err != nil {
			return false, fmt.Errorf("events %s: rotate: %w", path, err)
		}
		return false, nil
	}
	_, err = f.Write(line)
	return true, err
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// encode is e as one line of JSON, at most maxLine bytes with its newline.
func encode(e Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	if len(b) >= maxLine && len(e.Fields) > 0 {
		// Cut every text field to a share of the line, then try again.
		share := maxLine / (2 * (len(e.Fields) + 1))
		cut := make(map[string]any, len(e.Fields))
		for k, v := range e.Fields {
			if s, ok := v.(string); ok && len(s) > share {
				v = truncate(s, share) + "…"
			}
			cut[k] = v
		}
		e.Fields = cut
		if b, err = json.Marshal(e); err != nil {
			return nil, err
		}
	}
	if len(b) >= maxLine {
		return nil, fmt.Errorf("event %s of %s: %d bytes, more than %d", e.Type, e.Lab, len(b), maxLine)
	}
	return append(b, '\n'), nil
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
