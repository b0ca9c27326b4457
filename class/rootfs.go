package class

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The registry's files are written and read through directory handles
// opened one component at a time without following a symlink, and every
// directory on the way must be owned by root (or this user) and writable
// by no one else unless sticky, as /tmp is: nothing another local user
// can make or move may redirect what root writes or mislead what it reads.

// openDir opens the directory at path, creating what is missing (mode
// 0700) when create is set.
func openDir(path string, create bool) (*os.File, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("%s: not an absolute path", path)
	}
	fd, err := unix.Open("/", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: "/", Err: err}
	}
	at := "/"
	for _, name := range strings.Split(strings.Trim(filepath.Clean(path), "/"), "/") {
		if name == "" {
			continue
		}
		at = filepath.Join(at, name)
		next, err := unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		if errors.Is(err, unix.ENOENT) && create {
			if err = unix.Mkdirat(fd, name, 0o700); err == nil || errors.Is(err, unix.EEXIST) {
				next, err = unix.Openat(fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			}
		}
		unix.Close(fd)
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			return nil, fmt.Errorf("%s is not a directory (a symlink?): refusing to go through it", at)
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: at, Err: err}
		}
		if err := safeDir(next, at); err != nil {
			unix.Close(next)
			return nil, err
		}
		fd = next
	}
	return os.NewFile(uintptr(fd), path), nil
}

// safeDir refuses a directory someone else could change.
func safeDir(fd int, path string) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("%s is owned by uid %d, not root: refusing to use it", path, st.Uid)
	}
	if st.Mode&0o022 != 0 && st.Mode&unix.S_ISVTX == 0 {
		return fmt.Errorf("%s is writable by others (mode %04o): refusing to use it", path, st.Mode&0o7777)
	}
	return nil
}

// writeAt replaces name in dir with data (mode 0600), whole or not at
// all: a reader sees the old file or the new one.
func writeAt(dir *os.File, name string, data []byte) error {
	tmp, err := tempAt(dir, data)
	if err != nil {
		return err
	}
	if err := unix.Renameat(int(dir.Fd()), tmp, int(dir.Fd()), name); err != nil {
		_ = unix.Unlinkat(int(dir.Fd()), tmp, 0)
		return &os.PathError{Op: "rename", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return dir.Sync()
}

// createAt makes name in dir hold data (mode 0600) unless it exists:
// of two processes making it at once, one wins and both see its data.
func createAt(dir *os.File, name string, data []byte) (bool, error) {
	tmp, err := tempAt(dir, data)
	if err != nil {
		return false, err
	}
	defer unix.Unlinkat(int(dir.Fd()), tmp, 0)
	err = unix.Linkat(int(dir.Fd()), tmp, int(dir.Fd()), name, 0)
	switch {
	case errors.Is(err, unix.EEXIST):
		return false, nil
	case err != nil:
		return false, &os.PathError{Op: "link", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return true, dir.Sync()
}

// tempAt writes data to a new file of a random name in dir, synced.
func tempAt(dir *os.File, data []byte) (string, error) {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	tmp := ".tmp-" + hex.EncodeToString(r[:])
	fd, err := unix.Openat(int(dir.Fd()), tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return "", &os.PathError{Op: "create", Path: filepath.Join(dir.Name(), tmp), Err: err}
	}
	f := os.NewFile(uintptr(fd), tmp)
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = unix.Unlinkat(int(dir.Fd()), tmp, 0)
		return "", err
	}
	return tmp, nil
}

// maxRecord bounds what is read back: a record of a thousand students
// and its topology is well under it.
const maxRecord = 4 << 20

// readAt reads name in dir, refusing a file that is not a regular file of
// root's (or this user's) or that others could read.
func readAt(dir *os.File, name string) ([]byte, error) {
	p := filepath.Join(dir.Name(), name)
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: p, Err: err}
	}
	f := os.NewFile(uintptr(fd), p)
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "stat", Path: p, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return nil, fmt.Errorf("%s is not a regular file: refusing to read it", p)
	case st.Uid != 0 && int(st.Uid) != os.Geteuid():
		return nil, fmt.Errorf("%s is owned by uid %d, not root: refusing to read it", p, st.Uid)
	case st.Mode&0o077 != 0:
		return nil, fmt.Errorf("%s has mode %04o: others may have read it; refusing it (ovslab class urls --rotate makes new tokens)", p, st.Mode&0o7777)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxRecord+1))
	if err == nil && len(data) > maxRecord {
		err = fmt.Errorf("%s is larger than %d bytes", p, maxRecord)
	}
	return data, err
}

// removeDirAt removes the directory name in dir and the files in it;
// nothing below it is a directory.
func removeDirAt(dir *os.File, name string) error {
	fd, err := unix.Openat(int(dir.Fd()), name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return &os.PathError{Op: "open", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	sub := os.NewFile(uintptr(fd), filepath.Join(dir.Name(), name))
	names, err := sub.Readdirnames(-1)
	if err == nil {
		for _, n := range names {
			if err = unix.Unlinkat(fd, n, 0); err != nil {
				err = &os.PathError{Op: "remove", Path: filepath.Join(sub.Name(), n), Err: err}
				break
			}
		}
	}
	sub.Close()
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(int(dir.Fd()), name, unix.AT_REMOVEDIR); err != nil {
		return &os.PathError{Op: "remove", Path: filepath.Join(dir.Name(), name), Err: err}
	}
	return dir.Sync()
}
