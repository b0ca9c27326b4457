package userfile

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrNotYours is wrapped when the path names something Create will not
// write to: a symlink, a file of another user, one with other hard links,
// or anything that is not a regular file.
var ErrNotYours = errors.New("not your file")

// Create opens path for writing, empty, on behalf of the user who ran
// ovslab. A new file is made with O_EXCL (so a name planted between the
// check and the open cannot be followed) and, under sudo, given to the
// sudo user, as their shell would have made it. An existing file is
// truncated only if it is a regular file with one link owned by that user;
// otherwise nothing is changed and the error wraps ErrNotYours. The last
// component is never followed if it is a symlink, whatever
// fs.protected_symlinks says.
func Create(path string) (*os.File, error) {
	uid, gid := invoker()
	const flags = unix.O_WRONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NOCTTY
	fd, err := unix.Open(path, flags|unix.O_CREAT|unix.O_EXCL, 0o644)
	switch {
	case err == nil:
		if uid != os.Geteuid() {
			if err := unix.Fchown(fd, uid, gid); err != nil {
				unix.Close(fd)
				return nil, &os.PathError{Op: "chown", Path: path, Err: err}
			}
		}
		return os.NewFile(uintptr(fd), path), nil
	case !errors.Is(err, unix.EEXIST):
		return nil, &os.PathError{Op: "create", Path: path, Err: err}
	}
	// It exists. O_NONBLOCK: opening a FIFO must not wait for a reader
	// before fstat can refuse it. O_NOFOLLOW fails with ELOOP on a symlink.
	fd, err = unix.Open(path, flags|unix.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, unix.ELOOP):
		return nil, fmt.Errorf("%s is a symbolic link; not writing through it: %w", path, ErrNotYours)
	case errors.Is(err, unix.ENXIO), errors.Is(err, unix.EISDIR):
		// A FIFO nobody reads, a socket, a directory.
		return nil, fmt.Errorf("%s exists and is not a regular file; not writing to it: %w", path, ErrNotYours)
	case err != nil:
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := mayTruncate(fd, path, uid); err != nil {
		unix.Close(fd)
		return nil, err
	}
	if err := unix.Ftruncate(fd, 0); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "truncate", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// mayTruncate checks the inode just opened, not the name: the name may
// have changed since.
func mayTruncate(fd int, path string, uid int) error {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: path, Err: err}
	}
	switch {
	case st.Mode&unix.S_IFMT != unix.S_IFREG:
		return fmt.Errorf("%s exists and is not a regular file; not writing to it: %w", path, ErrNotYours)
	case int(st.Uid) != uid:
		return fmt.Errorf("%s exists and belongs to uid %d, not to you (uid %d); remove it or choose another name: %w", path, st.Uid, uid, ErrNotYours)
	case st.Nlink != 1:
		return fmt.Errorf("%s exists with %d hard links; not truncating a file that has other names: %w", path, st.Nlink, ErrNotYours)
	}
	return nil
}

// invoker is the user ovslab writes for: under sudo the user who ran sudo
// (SUDO_UID, set by sudo itself), else the effective user.
func invoker() (uid, gid int) {
	uid, gid = os.Geteuid(), os.Getegid()
	if uid != 0 {
		return uid, gid
	}
	su, err1 := strconv.Atoi(os.Getenv("SUDO_UID"))
	sg, err2 := strconv.Atoi(os.Getenv("SUDO_GID"))
	if err1 != nil || err2 != nil || su < 0 || sg < 0 {
		return uid, gid
	}
	return su, sg
}
