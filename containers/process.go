package containers

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// process is a container's main process held by a pidfd from the moment
// it is checked to be that container's until whatever was opened by its
// PID (/proc/PID/ns/net, /proc/PID/root) is open. A PID is only a number:
// once the container stops, the kernel may hand it to any new process, and
// a netns opened by PID would then be some other container's or the
// machine's own. The pidfd pins the process itself: while it is alive (a
// zombie counts, its PID is not free until it is reaped) its PID names it
// and nothing else.
type process struct {
	id  string
	pid int
	fd  int
}

// openProcess takes a pidfd of pid and checks that the process behind it
// is the main process of the container with the full ID id.
func openProcess(id string, pid int) (*process, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if errors.Is(err, unix.ESRCH) {
		return nil, stopped(id, pid)
	}
	if err != nil {
		return nil, fmt.Errorf("pidfd of container %s process %d: %w", shortID(id), pid, err)
	}
	p := &process{id: id, pid: pid, fd: fd}
	if !pidIn(pid, id) {
		p.close()
		return nil, fmt.Errorf("process %d is not container %s's main process any more: the container stopped or restarted and the PID may be another process's now; run ovslab up again", pid, shortID(id))
	}
	return p, nil
}

// alive reports, after something was opened by the PID, that the process
// checked by openProcess still held the PID all along, so that it was
// opened from that process.
func (p *process) alive() error {
	if err := unix.PidfdSendSignal(p.fd, 0, nil, 0); err != nil {
		return stopped(p.id, p.pid)
	}
	return nil
}

func (p *process) close() { unix.Close(p.fd) }

func stopped(id string, pid int) error {
	return fmt.Errorf("container %s stopped (its process %d is gone); run ovslab up again", shortID(id), pid)
}

// containerNetns opens the network namespace of container id's main
// process pid, making sure it is that process's.
func containerNetns(id string, pid int) (*nsutil.NS, error) {
	p, err := openProcess(id, pid)
	if err != nil {
		return nil, err
	}
	defer p.close()
	ns, err := nsutil.Open(containerNetnsPath(pid))
	if err != nil {
		if perr := p.alive(); perr != nil {
			return nil, perr
		}
		return nil, fmt.Errorf("container %s process %d: no network namespace (is the container running?): %w", shortID(id), pid, err)
	}
	if err := p.alive(); err != nil {
		ns.Close()
		return nil, err
	}
	return ns, nil
}

// containerRoot opens the root directory of container id's main process
// pid, making sure it is that process's.
func containerRoot(id string, pid int) (*os.File, error) {
	p, err := openProcess(id, pid)
	if err != nil {
		return nil, err
	}
	defer p.close()
	root, err := os.Open(fmt.Sprintf("/proc/%d/root", pid))
	if err == nil {
		err = p.alive()
		if err != nil {
			root.Close()
		}
	}
	return root, err
}

// pidIn reports whether process pid is the main process of the container
// with the full ID id: it is in the container's cgroup (Docker names that
// after the ID under every cgroup driver and version) and is process 1 of
// its own PID namespace. So a PID since reused, whether by another
// process or by one exec'd into a later run of the container, fails.
func pidIn(pid int, id string) bool {
	if pid <= 0 || len(id) < 64 {
		return false
	}
	proc := "/proc/" + strconv.Itoa(pid)
	cg, err := os.ReadFile(proc + "/cgroup")
	if err != nil || !bytes.Contains(cg, []byte(id)) {
		return false
	}
	st, err := os.ReadFile(proc + "/status")
	if err != nil {
		return false
	}
	for _, line := range bytes.Split(st, []byte("\n")) {
		if f := bytes.Fields(line); len(f) > 1 && string(f[0]) == "NSpid:" {
			return string(f[len(f)-1]) == "1"
		}
	}
	return false
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
