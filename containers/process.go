package containers

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// Process is a container's main process held by a pidfd from the moment
// it is checked to be that container's until whatever was opened by its
// PID (/proc/PID/ns/net, /proc/PID/root) is open. A PID is only a number:
// once the container stops, the kernel may hand it to any new process, and
// a netns opened by PID would then be some other container's or the
// machine's own. The pidfd pins the process itself: while it is alive (a
// zombie counts, its PID is not free until it is reaped) its PID names it
// and nothing else. One Process serves every step of a container (its
// links, its /etc/hosts), so the check is made once per container.
type Process struct {
	ID  string // the container's full ID
	Pid int    // its main process
	fd  int
}

// OpenProcess takes a pidfd of pid and checks that the process behind it
// is the main process of the container with the full ID id: it is in the
// container's cgroup (Docker names that after the ID under every cgroup
// driver and version) and is process 1 of its own PID namespace. So a PID
// since reused, whether by another process or by one exec'd into a later
// run of the container, fails. The caller closes it.
func OpenProcess(id string, pid int) (*Process, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("container %s: pid %d is not a running process", shortID(id), pid)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil, stopped(id, pid)
	}
	if err != nil {
		return nil, fmt.Errorf("pidfd of container %s process %d: %w", shortID(id), pid, err)
	}
	p := &Process{ID: id, Pid: pid, fd: fd}
	first, known := firstOfNamespace(fdinfoPath(fd))
	if !known {
		first, _ = firstOfNamespace(statusPath(pid))
	}
	if !first || !inCgroupOf(pid, id) {
		p.Close()
		return nil, fmt.Errorf("process %d is not container %s's main process any more: the container stopped or restarted and the PID may be another process's now; run ovslab up again", pid, shortID(id))
	}
	return p, nil
}

// alive reports, after something was opened by the PID, that the process
// checked by OpenProcess still held the PID all along, so that it was
// opened from that process.
func (p *Process) alive() error {
	if err := unix.PidfdSendSignal(p.fd, 0, nil, 0); err != nil {
		return stopped(p.ID, p.Pid)
	}
	return nil
}

// Close releases the pidfd; closing twice is fine.
func (p *Process) Close() {
	if p != nil && p.fd >= 0 {
		unix.Close(p.fd)
		p.fd = -1
	}
}

func stopped(id string, pid int) error {
	return fmt.Errorf("container %s stopped (its process %d is gone); run ovslab up again", shortID(id), pid)
}

// netns opens the process's network namespace.
func (p *Process) netns() (*nsutil.NS, error) {
	ns, err := nsutil.Open(containerNetnsPath(p.Pid))
	if err != nil {
		if perr := p.alive(); perr != nil {
			return nil, perr
		}
		return nil, fmt.Errorf("container %s process %d: no network namespace (is the container running?): %w", shortID(p.ID), p.Pid, err)
	}
	if err := p.alive(); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// root opens the process's root directory, as a bare descriptor (O_PATH:
// it is only a base for openat2) that the caller closes.
func (p *Process) root() (int, error) {
	path := "/proc/" + strconv.Itoa(p.Pid) + "/root"
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if perr := p.alive(); perr != nil {
			return -1, perr
		}
		return -1, &os.PathError{Op: "open", Path: path, Err: err}
	}
	if err := p.alive(); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

// inCgroupOf reports whether process pid is in the cgroup of container id.
func inCgroupOf(pid int, id string) bool {
	if len(id) < 64 {
		return false
	}
	var a [512]byte
	cg, err := readSmall("/proc/"+strconv.Itoa(pid)+"/cgroup", a[:0])
	return err == nil && bytes.Contains(cg, []byte(id))
}

// firstOfNamespace reports whether the NSpid line of a status file ends
// in 1, and whether it has the line. A pidfd's fdinfo carries the same
// line (kernels from 5.10) and costs the kernel far less to write.
func firstOfNamespace(path string) (first, known bool) {
	var a [2048]byte
	st, err := readSmall(path, a[:0])
	if err != nil {
		return false, false
	}
	for len(st) > 0 {
		var line []byte
		line, st, _ = bytes.Cut(st, []byte("\n"))
		if rest, ok := bytes.CutPrefix(line, []byte("NSpid:")); ok {
			// The PID in each nested namespace, the innermost last.
			rest = bytes.TrimSpace(rest)
			last := rest[bytes.LastIndexAny(rest, " \t")+1:]
			return string(last) == "1", len(last) > 0
		}
	}
	return false, false
}

func fdinfoPath(fd int) string { return "/proc/self/fdinfo/" + strconv.Itoa(fd) }

func statusPath(pid int) string { return "/proc/" + strconv.Itoa(pid) + "/status" }

// readSmall reads a /proc file of a few kilobytes with bare system calls,
// appending to buf (grown only if the file is larger): os.ReadFile's stat,
// poller registration and buffer cost more than the read, and each
// container's check reads two, so a caller's array on its stack serves.
func readSmall(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	if cap(buf)-len(buf) < 512 {
		buf = slices.Grow(buf, 4096)
	}
	for {
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
