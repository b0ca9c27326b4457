package labs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// labLock is an exclusive flock on a lab's state directory: two `up`/`down`
// of one lab never interleave.
type labLock struct {
	f    *os.File
	path string
}

// errLocked is returned by acquire with noWait when another process holds the lock.
var errLocked = fmt.Errorf("lab is locked by another ovslab up/down")

// acquire takes the lab's lock. It waits (calling waiting once) unless
// noWait is set. The lock file is RunRoot/.locks/<lab>, in a directory only
// root can enter: flock needs no more than a read-only descriptor, so a
// lock file another user can open is one they can hold for as long as
// they like, blocking every up and down of the lab. A lock file removed
// by hand while held is noticed: after locking, acquire checks that the
// file it locked is still the one at the path, and retries otherwise.
func acquire(ctx context.Context, lab string, noWait bool, waiting func()) (*labLock, error) {
	dir, err := Dir(lab)
	if err != nil {
		return nil, err
	}
	// The state lives here: readable by all (status, labs), replaceable
	// by none but root.
	if err := ownDir(dir, 0o755, 0o022); err != nil {
		return nil, err
	}
	l, err := lockFile(ctx, lab, noWait, waiting)
	if errors.Is(err, errLocked) {
		return nil, fmt.Errorf("lab %q: %w (omit --no-wait to wait for it)", lab, errLocked)
	}
	return l, err
}

// machineLockName is the lock of what all labs on the machine share; a
// lab cannot have the name (labs start with a letter or digit).
const machineLockName = ".machine"

// lockMachine takes the lock of the settings every lab on the machine
// shares (the neighbour table's limits, a real host's ip_forward): each
// lab reads what the others recorded before it records and changes them,
// so two at once would each take the other's raised value for the
// machine's own. It is taken inside a lab's lock, never the other way
// round, and held only for the read, record and write.
func lockMachine(ctx context.Context) (*labLock, error) {
	return lockFile(ctx, machineLockName, false, nil)
}

// lockFile flocks the private lock file of name, waiting (calling
// waiting once) unless noWait is set. Lock files exist only while held:
// release removes them (and their directory when it is empty), so a
// holder may find its file gone or replaced once it has the lock, and
// the directory gone before it opens the file: both mean try again.
func lockFile(ctx context.Context, name string, noWait bool, waiting func()) (*labLock, error) {
	told := false
	for {
		p, err := lockPath(name)
		if err != nil {
			return nil, err
		}
		f, err := openPrivate(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // its directory was removed between the two
		}
		if err != nil {
			return nil, err
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == syscall.EWOULDBLOCK {
			f.Close()
			if noWait {
				return nil, errLocked
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
			return &labLock{f: f, path: p}, nil
		}
		f.Close() // the file was removed under us; lock the new one
	}
}

// lockPath makes RunRoot and its .locks directory (mode 0700) if they
// are missing, checks that no other user could have opened anything in
// them, and returns the path of lab's lock file.
func lockPath(lab string) (string, error) {
	if err := ownDir(RunRoot, 0o755, 0o022); err != nil {
		return "", err
	}
	locks := filepath.Join(RunRoot, ".locks")
	if err := ownDir(locks, 0o700, 0o077); err != nil {
		return "", err
	}
	return filepath.Join(locks, lab), nil
}

// ownDir makes dir (mode perm) if it is missing and checks it with
// checkOwnDir. Another process may remove it in between (the last lock's
// release takes .locks, a lab's down its directory), even between
// MkdirAll's mkdir and its look: that is tried again, though not for
// ever, as a dangling symlink in its place says "exists" every time.
func ownDir(dir string, perm, deny fs.FileMode) error {
	for try := 0; ; try++ {
		err := os.MkdirAll(dir, perm)
		if err == nil {
			err = checkOwnDir(dir, deny)
		}
		if (errors.Is(err, fs.ErrExist) || errors.Is(err, fs.ErrNotExist)) && try < 100 {
			continue
		}
		return err
	}
}

// checkOwnDir refuses a directory (or a symlink in its place) that this
// process's user does not own, or that grants any of the bits in deny.
func checkOwnDir(dir string, deny fs.FileMode) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory; remove it", dir)
	case !ok || int(st.Uid) != os.Geteuid():
		return fmt.Errorf("%s is not owned by uid %d: another user could replace what ovslab keeps in it; remove it", dir, os.Geteuid())
	case fi.Mode().Perm()&deny != 0:
		return fmt.Errorf("%s has mode %v: another user could reach what ovslab keeps in it; chmod go-rwx it or remove it", dir, fi.Mode().Perm())
	}
	return nil
}

// openPrivate opens (creating, mode 0600) a lock file that must be a
// regular file of this process's user; one made with laxer permissions
// is narrowed.
func openPrivate(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil {
		st, ok := fi.Sys().(*syscall.Stat_t)
		switch {
		case !fi.Mode().IsRegular() || !ok || int(st.Uid) != os.Geteuid():
			err = fmt.Errorf("lock %s is not a regular file owned by uid %d; remove it", p, os.Geteuid())
		case fi.Mode().Perm()&0o077 != 0:
			err = f.Chmod(0o600)
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// release removes the lock file, and its directory if that is now
// empty, then drops the lock: ovslab leaves nothing under RunRoot once
// its labs are down. A waiter that locked the removed file sees it is no
// longer at the path and locks a new one (lockFile).
func (l *labLock) release() {
	if l == nil || l.f == nil {
		return
	}
	if sameFile(l.f, l.path) {
		_ = os.Remove(l.path)
		_ = os.Remove(filepath.Dir(l.path)) // fails while other locks are held
	}
	l.f.Close()
	l.f = nil
}
