package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The shell's OVS_RUNDIR is not the host's run directory itself but a
// small directory of its own (OVSDir) holding binds of the host's
// sockets and logs, because of how ovs-appctl finds ovs-vswitchd: it opens
// OVS_RUNDIR/ovs-vswitchd.pid read-write ("r+"), asks which process holds
// its lock, and believes the pid in it only if the lock holder has that
// pid. Seen from the shell's PID namespace the daemon has no pid (the
// kernel reports 0), so the real pidfile never passes. The shell gets a
// pidfile of its own saying "1", locked by its PID 1 (Init takes the lock
// and the shell inherits it across exec), next to the daemon's control
// socket bound as ovs-vswitchd.1.ctl.
//
// The binds are taken when the shell starts: a bridge added or a daemon
// restarted later shows in a new shell (after ShareOVS).

// vswitchdPidfile is the pidfile the shell's ovs-appctl reads.
const vswitchdPidfile = "ovs-vswitchd.pid"

// ovsView is what the shell's OVSDir will hold.
type ovsView struct {
	entries []source // sockets and logs, as detached mounts; name = file name
}

// takeOVS takes, from runDir, every socket a student's tools use and the
// logs. ovsdb-server's control socket is left out: ovsdb-server/add-remote
// would have the root daemon bind a socket at any path. dbSocket, if set,
// is taken as db.sock instead of runDir's own.
func takeOVS(runDir, dbSocket string) (*ovsView, error) {
	v := &ovsView{}
	if runDir == "" {
		return nil, nil
	}
	ents, err := os.ReadDir(runDir)
	if err != nil {
		return nil, fmt.Errorf("OVS run dir: %w", err)
	}
	vsPID := 0
	if b, err := os.ReadFile(filepath.Join(runDir, vswitchdPidfile)); err == nil {
		vsPID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
	}
	liveCtl := fmt.Sprintf("ovs-vswitchd.%d.ctl", vsPID)
	for _, e := range ents {
		name, as := e.Name(), e.Name()
		switch {
		case e.Type()&os.ModeSocket != 0 && name == liveCtl:
			as = "ovs-vswitchd.1.ctl"
		case name == "db.sock" && dbSocket != "":
			continue // taken below
		case e.Type()&os.ModeSocket != 0 && !strings.HasSuffix(name, ".ctl"):
			// db.sock, BRIDGE.mgmt, BRIDGE.snoop
		case e.Type().IsRegular() && strings.HasSuffix(name, ".log"):
		default:
			continue
		}
		fd, err := detached(filepath.Join(runDir, name), 0, roAttrs|unix.MOUNT_ATTR_NOEXEC)
		if err != nil {
			v.close()
			return nil, err
		}
		v.entries = append(v.entries, source{name: as, fd: fd})
	}
	if dbSocket != "" {
		fd, err := detached(dbSocket, 0, roAttrs|unix.MOUNT_ATTR_NOEXEC)
		if err != nil {
			v.close()
			return nil, err
		}
		v.entries = append(v.entries, source{name: "db.sock", fd: fd})
	}
	return v, nil
}

func (v *ovsView) close() {
	for _, s := range v.entries {
		unix.Close(s.fd)
	}
}

// hasCtl reports whether the daemon's live control socket was found.
func (v *ovsView) hasCtl() bool {
	for _, s := range v.entries {
		if s.name == "ovs-vswitchd.1.ctl" {
			return true
		}
	}
	return false
}

// place makes dir (a tmpfs, writable so that ovs-appctl can open the
// pidfile read-write; the directory itself is root's, so the shell adds
// and removes nothing) and puts the entries and the pidfile in it. The
// pidfile's lock is taken on a descriptor left open across exec: PID 1
// of the shell holds it for as long as it runs.
func (v *ovsView) place(dir string, uid int) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	if err := tmpfs(dir, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size=16k"); err != nil {
		return err
	}
	for _, s := range v.entries {
		p := filepath.Join(dir, s.name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return err
		}
		err := unix.MoveMount(s.fd, "", unix.AT_FDCWD, p, unix.MOVE_MOUNT_F_EMPTY_PATH)
		unix.Close(s.fd)
		if err != nil {
			return fmt.Errorf("mounting %s: %w", p, err)
		}
	}
	if !v.hasCtl() {
		return nil
	}
	p := filepath.Join(dir, vswitchdPidfile)
	if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
		return err
	}
	if err := os.Chown(p, uid, -1); err != nil {
		return err
	}
	fd, err := unix.Open(p, unix.O_RDWR, 0)
	if err != nil {
		return err
	}
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &lk); err != nil {
		return fmt.Errorf("locking %s: %w", p, err)
	}
	return nil
}
