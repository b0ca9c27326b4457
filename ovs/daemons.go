package ovs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/ovslab/ovslab/internal/durable"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// The daemons of an emulated host, named as their binaries; each keeps its
// pidfile, control socket and log in the host's run directory as
// <name>.pid, <name>.<pid>.ctl and <name>.log. The control socket keeps the
// daemon's default name so `OVS_RUNDIR=<dir> ovs-appctl -t ovs-vswitchd`
// finds it, as it would on a packaged install.
const (
	ovsdbServer = "ovsdb-server"
	ovsVswitchd = "ovs-vswitchd"
)

// daemonStartTimeout bounds StartDaemons when ctx has no deadline.
const daemonStartTimeout = 30 * time.Second

// Endpoint returns the OVSDB endpoint of the daemons run in runDir.
func Endpoint(runDir string) string {
	return "unix:" + filepath.Join(absDir(runDir), "db.sock")
}

// StartDaemons makes sure an ovsdb-server and an ovs-vswitchd serve runDir
// (normally /run/ovslab/<lab>/<host>), started inside the netns at
// netnsPath ("" = the caller's). Running daemons are left alone and dead
// ones (stale pidfile) restarted; the database is created on first use and
// given its Open_vSwitch root row, as `ovs-vsctl init` does.
//
// Both get OVS_RUNDIR=runDir: vswitchd creates a <bridge>.mgmt socket per
// bridge in its run dir and fails under the default /var/run/openvswitch,
// which an emulated host must not share anyway.
func StartDaemons(ctx context.Context, runDir, netnsPath string) error {
	c, err := StartDaemonsConnected(ctx, runDir, netnsPath)
	if c != nil {
		c.Close()
	}
	return err
}

// StartDaemonsConnected is StartDaemons that hands its caller, to use and
// close, the client through which it gave the database its root row; nil
// when both daemons were running already. A caller that goes on to apply
// a lab makes no second connection, each one a fetch and parse of OVS's
// whole schema (a class's hundred copies connected twice per host).
func StartDaemonsConnected(ctx context.Context, runDir, netnsPath string) (*Client, error) {
	runDir = absDir(runDir)
	ctx, cancel := withDefaultTimeout(ctx, daemonStartTimeout)
	defer cancel()
	if err := os.MkdirAll(runDir, 0o755); err != nil {
		return nil, fmt.Errorf("OVS run dir: %w", err)
	}
	schema, err := findSchema()
	if err != nil {
		return nil, err
	}
	env := daemonEnv(runDir, filepath.Dir(schema))
	ovsdbUp, vsUp := DaemonsRunning(runDir)
	if ovsdbUp && vsUp {
		// Both were started, root row first, by an earlier call: a
		// no-op up must not pay for a connection of its own here.
		return nil, nil
	}
	if !ovsdbUp {
		if err := createDB(ctx, runDir, schema, env); err != nil {
			return nil, err
		}
		// A socket left by a killed server would look ready before the new
		// one listens; nothing serves it while the server is down.
		_ = os.Remove(filepath.Join(runDir, "db.sock"))
		args := []string{
			filepath.Join(runDir, "conf.db"),
			"--remote=punix:" + filepath.Join(runDir, "db.sock"),
		}
		if err := startDaemon(ctx, runDir, netnsPath, ovsdbServer, env, args); err != nil {
			return nil, err
		}
	}
	c, err := initRoot(ctx, runDir)
	if err != nil {
		return nil, err
	}
	if !vsUp {
		args := []string{Endpoint(runDir)}
		if err := startDaemon(ctx, runDir, netnsPath, ovsVswitchd, env, args); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// StopDaemons stops runDir's ovs-vswitchd, then its ovsdb-server: politely
// through `ovs-appctl exit`, then SIGTERM, then SIGKILL, waiting for each
// to be gone. Daemons that are not running are fine.
func StopDaemons(runDir string) error {
	runDir = absDir(runDir)
	return errors.Join(stopDaemon(runDir, ovsVswitchd), stopDaemon(runDir, ovsdbServer))
}

// DaemonsRunning reports whether runDir's ovsdb-server and ovs-vswitchd
// are alive, judged by their pidfiles.
func DaemonsRunning(runDir string) (ovsdb, vswitchd bool) {
	runDir = absDir(runDir)
	_, ovsdb = daemonPID(runDir, ovsdbServer)
	_, vswitchd = daemonPID(runDir, ovsVswitchd)
	return ovsdb, vswitchd
}

// daemonEnv points every OVS default directory at runDir, so nothing the
// daemons write lands in the machine's own /var/run/openvswitch.
func daemonEnv(runDir, pkgDataDir string) []string {
	return append(os.Environ(),
		"OVS_RUNDIR="+runDir,
		"OVS_DBDIR="+runDir,
		"OVS_LOGDIR="+runDir,
		"OVS_PKGDATADIR="+pkgDataDir,
	)
}

// findSchema returns the vswitch.ovsschema of the installed OVS, which is
// the one its vswitchd expects.
func findSchema() (string, error) {
	var dirs []string
	if d := os.Getenv("OVS_PKGDATADIR"); d != "" {
		dirs = append(dirs, d)
	}
	dirs = append(dirs, "/usr/share/openvswitch", "/usr/local/share/openvswitch")
	for _, d := range dirs {
		p := filepath.Join(d, "vswitch.ovsschema")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("vswitch.ovsschema not found in %s; install Open vSwitch (openvswitch-switch) or set OVS_PKGDATADIR",
		strings.Join(dirs, ", "))
}

// createDB creates runDir/conf.db, or converts one left by an older OVS.
func createDB(ctx context.Context, runDir, schema string, env []string) error {
	db := filepath.Join(runDir, "conf.db")
	if _, err := os.Stat(db); errors.Is(err, os.ErrNotExist) {
		// Made aside and renamed: a create cut short (Ctrl-C) must not
		// leave a conf.db that no later up can read.
		tmp := db + ".new"
		_ = os.Remove(tmp)
		if err := createEmptyDB(ctx, tmp, schema, env); err != nil {
			_ = os.Remove(tmp)
			return err
		}
		return os.Rename(tmp, db)
	}
	out, err := toolOutput(ctx, env, "ovsdb-tool", "needs-conversion", db, schema)
	if err != nil {
		return err
	}
	if strings.TrimSpace(out) == "yes" {
		return runTool(ctx, env, "ovsdb-tool", "convert", db, schema)
	}
	return nil
}

// emptyDBs holds, per schema file (path, size and time), the bytes of an
// empty database as ovsdb-tool creates it. They are the same for every
// host, the schema being the file's only record, so a class of a hundred
// copies runs the tool once instead of once per emulated host.
var emptyDBs sync.Map // emptyDBKey -> []byte

type emptyDBKey struct {
	path string
	size int64
	mod  time.Time
}

// createEmptyDB writes an empty database for schema at path, through
// ovsdb-tool the first time for that schema.
func createEmptyDB(ctx context.Context, path, schema string, env []string) error {
	fi, err := os.Stat(schema)
	if err != nil {
		return err
	}
	key := emptyDBKey{schema, fi.Size(), fi.ModTime()}
	if b, ok := emptyDBs.Load(key); ok {
		return durable.WriteFile(path, b.([]byte), 0o640)
	}
	if err := runTool(ctx, env, "ovsdb-tool", "create", path, schema); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	emptyDBs.Store(key, b)
	return nil
}

// initRoot inserts the Open_vSwitch root row if the database has none;
// vswitchd does nothing without it and Apply needs it to hang bridges on.
// The row carries daemonOtherConfig, written before vswitchd first reads
// it. It returns the client it used, for the caller to close.
func initRoot(ctx context.Context, runDir string) (*Client, error) {
	c, err := Connect(ctx, Endpoint(runDir))
	if err != nil {
		return nil, err
	}
	if err := c.initRoot(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) initRoot(ctx context.Context) error {
	var roots []*vswitchd.OpenvSwitch
	if err := c.ovs.List(ctx, &roots); err != nil {
		return err
	}
	if len(roots) == 0 {
		ops, err := c.ovs.Create(&vswitchd.OpenvSwitch{OtherConfig: daemonOtherConfig})
		if err != nil {
			return err
		}
		if err := c.transact(ctx, ops); err != nil {
			return fmt.Errorf("initialise Open_vSwitch row: %w", err)
		}
		return nil
	}
	// A database made before these settings gets them; keys already set
	// stay as they are.
	missing := rootOtherConfig(roots[0].OtherConfig)
	if missing == nil {
		return nil
	}
	root := &vswitchd.OpenvSwitch{UUID: roots[0].UUID}
	ops, err := c.ovs.Where(root).Mutate(root, model.Mutation{
		Field: &root.OtherConfig, Mutator: ovsdb.MutateOperationInsert, Value: missing,
	})
	if err != nil {
		return err
	}
	if err := c.transact(ctx, ops); err != nil {
		return fmt.Errorf("Open_vSwitch other_config: %w", err)
	}
	return nil
}

// startDaemon runs one daemon with --detach inside the netns: the process
// exec starts from the switched thread inherits that netns, and the
// detached daemon keeps it. --detach returns once the daemon is up.
func startDaemon(ctx context.Context, runDir, netnsPath, name string, env, args []string) error {
	bin, err := lookBin(name)
	if err != nil {
		return err
	}
	logFile := filepath.Join(runDir, name+".log")
	pidfile := filepath.Join(runDir, name+".pid")
	if err := waitPidfileFree(ctx, pidfile); err != nil {
		return fmt.Errorf("start %s for %s: %w", name, runDir, err)
	}
	args = append(args,
		"--pidfile="+pidfile,
		"--log-file="+logFile,
		"--detach", "--no-chdir",
	)
	err = nsutil.Do(netnsPath, func() error {
		out, err := runCaptureWith(ctx, startMergeable, env, bin, args...)
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("start %s for %s: %w (see %s)", name, runDir, err, logFile)
	}
	return poll(ctx, func() (bool, error) {
		_, up := daemonPID(runDir, name)
		return up, nil
	}, func() error {
		return fmt.Errorf("%s for %s did not come up; see %s", name, runDir, logFile)
	})
}

// absDir makes runDir absolute: the daemons chdir nowhere useful and the
// endpoint URL needs an absolute path.
func absDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// lookBin finds an OVS binary on PATH or in the sbin directories a
// non-login root shell may lack.
func lookBin(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found; install Open vSwitch (openvswitch-switch)", name)
}

// waitPidfileFree waits until no process holds the lock OVS keeps on a
// daemon's pidfile. A killed daemon's main thread turns zombie (which is
// when isDaemon calls it gone) while its other threads still exit and
// still hold the lock; a new daemon started then refuses with "already
// running".
func waitPidfileFree(ctx context.Context, pidfile string) error {
	f, err := os.Open(pidfile)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return poll(ctx, func() (bool, error) {
		lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: 0, Len: 0}
		if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
			return false, fmt.Errorf("pidfile %s: %w", pidfile, err)
		}
		return lk.Type == syscall.F_UNLCK, nil
	}, func() error {
		return fmt.Errorf("pidfile %s is still locked by the daemon that wrote it", pidfile)
	})
}
