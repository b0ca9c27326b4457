package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// OVSDir is where the host's OVS run directory appears inside the shell;
// OVS_RUNDIR points there.
const OVSDir = "/run/ovs"

// Defaults for the limits of Config left at zero.
const (
	DefaultPids    = 256
	DefaultMemory  = 512 << 20
	DefaultTmpSize = 64 << 20
	DefaultCPU     = 0.5
)

// Config is one shell.
type Config struct {
	// Netns is the path of the host's network namespace, e.g.
	// /run/netns/LAB-HOST.
	Netns string
	// OVSRunDir is the host's OVS run directory, bind-mounted read-only at
	// OVSDir; "" gives the shell no OVS. Run ShareOVS on it first.
	OVSRunDir string
	// OVSDBSocket, if set, is the socket the shell sees as the host's
	// db.sock in place of the real one: an internal/ovsdbguard relay,
	// since the real one lets a client make root's ovs-vswitchd read and
	// write files anywhere (the SSL table). Needs OVSRunDir.
	OVSDBSocket string
	// UID and GID are the shell's identity: not 0. GID should be a group
	// of this lab copy alone (numeric ids need no /etc/group entry): it is
	// the group ShareOVS opens the host's OVS sockets to.
	UID, GID int
	// Hostname is the shell's host name (its own UTS namespace);
	// "" = the netns file's name.
	Hostname string
	// Command is what runs, absolute path first; nil = an interactive
	// bash without startup files.
	Command []string
	// Env is added to the shell's environment (KEY=VALUE), which
	// otherwise holds only PATH, HOME=/tmp, TERM, LANG, PS1 and
	// OVS_RUNDIR: nothing of the caller's.
	Env []string
	// Pids caps the processes of the shell (DefaultPids when 0).
	Pids int
	// Memory caps the shell's memory in bytes, its /tmp included
	// (DefaultMemory when 0); only with a memory cgroup.
	Memory int64
	// CPU caps the shell's processes together to this many cores
	// (DefaultCPU when 0); only with a cpu cgroup.
	CPU float64
	// TmpSize is the size of the private /tmp (DefaultTmpSize when 0).
	TmpSize int64
	// Hide lists more absolute paths, within what the shell sees, to mask
	// with empty read-only mounts.
	Hide []string
}

// ErrConfig is wrapped by New for a Config it refuses.
var ErrConfig = errors.New("sandbox config")

func (c Config) withDefaults() Config {
	if c.Pids == 0 {
		c.Pids = DefaultPids
	}
	if c.Memory == 0 {
		c.Memory = DefaultMemory
	}
	if c.CPU == 0 {
		c.CPU = DefaultCPU
	}
	if c.TmpSize == 0 {
		c.TmpSize = DefaultTmpSize
	}
	if c.Hostname == "" {
		c.Hostname = filepath.Base(c.Netns)
	}
	return c
}

func (c Config) validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(f, a...))
	}
	switch {
	case c.Netns == "":
		return bad("no netns: a shell on the machine's own network is never offered")
	case c.UID <= 0 || c.GID <= 0:
		return bad("uid %d, gid %d: both must be unprivileged (> 0)", c.UID, c.GID)
	case c.Pids < 0 || c.Memory < 0 || c.TmpSize < 0 || c.CPU < 0:
		return bad("negative limit")
	case c.CPU > 0 && c.CPU < 0.01:
		return bad("cpu %g: at least 0.01 of a core", c.CPU)
	case len(c.Command) > 0 && !filepath.IsAbs(c.Command[0]):
		return bad("command %q: an absolute path is needed (PATH is the shell's, not the caller's)", c.Command[0])
	case len(c.Hostname) > 64:
		return bad("hostname %q longer than 64 bytes", c.Hostname)
	}
	for _, h := range c.Hide {
		if !filepath.IsAbs(h) || filepath.Clean(h) != h || h == "/" {
			return bad("hide %q: a clean absolute path other than / is needed", h)
		}
	}
	for _, e := range c.Env {
		if !strings.Contains(e, "=") {
			return bad("env %q: KEY=VALUE is needed", e)
		}
	}
	if c.OVSDBSocket != "" {
		fi, err := os.Stat(c.OVSDBSocket)
		switch {
		case c.OVSRunDir == "":
			return bad("an OVSDB socket without an OVS run dir")
		case err != nil:
			return fmt.Errorf("%w: OVSDB socket: %v", ErrConfig, err)
		case fi.Mode()&os.ModeSocket == 0:
			return bad("OVSDB socket %s is not a socket", c.OVSDBSocket)
		}
	}
	if c.OVSRunDir != "" {
		fi, err := os.Stat(c.OVSRunDir)
		if err != nil {
			return fmt.Errorf("%w: OVS run dir: %v", ErrConfig, err)
		}
		if !fi.IsDir() {
			return bad("OVS run dir %s is not a directory", c.OVSRunDir)
		}
	}
	return nil
}

// shellEnv is the whole environment of the shell.
func (c Config) shellEnv() []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/tmp",
		"TERM=xterm-256color",
		"LANG=C.UTF-8",
		// \u would read "I have no name!" for a uid without a passwd entry.
		`PS1=\h:\w\$ `,
	}
	if c.OVSRunDir != "" {
		env = append(env, "OVS_RUNDIR="+OVSDir)
	}
	return append(env, c.Env...)
}

func (c Config) command() []string {
	if len(c.Command) > 0 {
		return c.Command
	}
	return []string{"/bin/bash", "--noprofile", "--norc", "-i"}
}
