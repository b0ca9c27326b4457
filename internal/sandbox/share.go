package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ShareOVS opens the OVS daemons of runDir to members of gid, the group a
// shell on that host runs with: ovsdb-server's database socket (ovs-vsctl),
// ovs-vswitchd's control socket (ovs-appctl) and each bridge's .mgmt and
// .snoop sockets (ovs-ofctl) get group gid and mode 0770; the daemons'
// pidfiles and logs group gid, readable; runDir itself group gid, mode
// 0750. Connecting to a socket needs write permission on it.
//
// ovsdb-server's own control socket stays root's: its
// ovsdb-server/add-remote command makes the server (root) bind a socket
// at any path, replacing the file there. conf.db stays root's too.
//
// The daemons create their sockets root-only (umask 027), so a socket
// made later (a bridge added, a daemon restarted) is closed again: run
// ShareOVS before each shell starts.
func ShareOVS(runDir string, gid int) error {
	if gid <= 0 {
		return fmt.Errorf("%w: gid %d: sharing OVS with root's group or none", ErrConfig, gid)
	}
	ents, err := os.ReadDir(runDir)
	if err != nil {
		return fmt.Errorf("OVS run dir: %w", err)
	}
	if err := os.Chown(runDir, 0, gid); err != nil {
		return fmt.Errorf("OVS run dir: %w", err)
	}
	if err := os.Chmod(runDir, 0o750); err != nil {
		return fmt.Errorf("OVS run dir: %w", err)
	}
	var errs []error
	for _, e := range ents {
		mode, ok := shareMode(e.Name(), e.Type())
		if !ok {
			continue
		}
		p := filepath.Join(runDir, e.Name())
		// Lchown, and only regular files and sockets: a symlink planted
		// here must not redirect the chown.
		if err := os.Lchown(p, 0, gid); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := os.Chmod(p, mode); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// shareMode is the mode a run directory entry gets, and whether it is
// shared at all.
func shareMode(name string, t os.FileMode) (os.FileMode, bool) {
	switch {
	case t&os.ModeSocket != 0:
		if strings.HasPrefix(name, "ovsdb-server.") {
			return 0, false
		}
		return 0o770, true
	case !t.IsRegular():
		return 0, false
	case strings.HasSuffix(name, ".pid"), strings.HasSuffix(name, ".log"):
		return 0o640, true
	}
	return 0, false
}
