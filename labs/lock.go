package labs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// labLock is an exclusive flock on a lab's state directory: two `up`/`down`
// of one lab never interleave.
type labLock struct{ f *os.File }

// errLocked is returned by acquire with noWait when another process holds the lock.
var errLocked = fmt.Errorf("lab is locked by another ovslab up/down")

// acquire takes the lab's lock. It waits (calling waiting once) unless
// noWait is set. The lock file lives inside the lab's directory, which
// `down` removes; so after locking, it checks that the file it locked is
// still the one at the path, and retries otherwise.
func acquire(ctx context.Context, lab string, noWait bool, waiting func()) (*labLock, error) {
	dir, err := Dir(lab)
	if err != nil {
		return nil, err
	}
	told := false
	for {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		// A dot name: host names ([a-z0-9-]) share this directory.
		p := filepath.Join(dir, ".lock")
		f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, err
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == syscall.EWOULDBLOCK {
			f.Close()
			if noWait {
				return nil, fmt.Errorf("lab %q: %w (omit --no-wait to wait for it)", lab, errLocked)
			}
			if !told && waiting != nil {
				waiting()
				told = true
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		if sameFile(f, p) {
			return &labLock{f: f}, nil
		}
		f.Close() // the directory was removed under us; lock the new one
	}
}

func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// release drops the lock.
func (l *labLock) release() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
