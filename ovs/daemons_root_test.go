package ovs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// pgrepRunDir lists processes whose command line mentions runDir: after
// StopDaemons there must be none (zombies have no command line).
func pgrepRunDir(runDir string) string {
	out, _ := exec.Command("pgrep", "-af", regexp.QuoteMeta(runDir+"/")).Output()
	return strings.TrimSpace(string(out))
}

func TestRootDaemonsLifecycle(t *testing.T) {
	h := startHost(t) // starts once
	ctx := testCtx(t)
	if err := StartDaemons(ctx, h.runDir, nsutil.Path(h.ns)); err != nil {
		t.Fatalf("second StartDaemons: %v", err)
	}
	if db, vs := DaemonsRunning(h.runDir); !db || !vs {
		t.Fatalf("DaemonsRunning = %v, %v; want both", db, vs)
	}
	if n := len(strings.Split(pgrepRunDir(h.runDir), "\n")); n != 2 {
		t.Fatalf("want exactly 2 daemons after two starts, got:\n%s", pgrepRunDir(h.runDir))
	}
	vsPID, _ := daemonPID(h.runDir, ovsVswitchd)

	// The daemons run inside the host netns: vswitchd's internal port
	// shows up there, not in ours.
	if err := h.c.Apply(ctx, lab, []Bridge{{Name: "br1", Datapath: "netdev"}}); err != nil {
		t.Fatal(err)
	}
	if err := h.c.WaitInterface(ctx, "br1"); err != nil {
		t.Fatal(err)
	}
	testenv.Run(t, "ip", "-n", h.ns, "link", "show", "br1")

	for _, name := range []string{ovsVswitchd, ovsdbServer} {
		pid, _ := daemonPID(h.runDir, name)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatalf("kill -9 %s: %v", name, err)
		}
		testenv.Eventually(t, 10*time.Second, func() error {
			if db, vs := DaemonsRunning(h.runDir); (name == ovsdbServer && db) || (name == ovsVswitchd && vs) {
				return fmt.Errorf("%s still reported running after kill -9", name)
			}
			return nil
		})
		if err := StartDaemons(ctx, h.runDir, nsutil.Path(h.ns)); err != nil {
			t.Fatalf("StartDaemons after killing %s: %v", name, err)
		}
		if db, vs := DaemonsRunning(h.runDir); !db || !vs {
			t.Fatalf("after restart: DaemonsRunning = %v, %v", db, vs)
		}
	}
	if pid, _ := daemonPID(h.runDir, ovsVswitchd); pid == vsPID {
		t.Errorf("ovs-vswitchd pid %d unchanged after kill -9 and restart", pid)
	}

	// The database survived the restarts (br1 is still there), and the new
	// vswitchd serves it: a port added now appears in the host netns.
	c, err := Connect(ctx, Endpoint(h.runDir))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	after := []Bridge{{Name: "br1", Datapath: "netdev", Ports: []Port{{Name: "net9", Type: "internal"}}}}
	if err := c.Apply(ctx, lab, after); err != nil {
		t.Fatalf("Apply after restarts: %v", err)
	}
	if err := c.WaitInterface(ctx, "net9"); err != nil {
		t.Fatalf("net9 after restarts: %v", err)
	}
	testenv.Run(t, "ip", "-n", h.ns, "link", "show", "net9")

	if err := StopDaemons(h.runDir); err != nil {
		t.Fatalf("StopDaemons: %v", err)
	}
	if db, vs := DaemonsRunning(h.runDir); db || vs {
		t.Errorf("DaemonsRunning after stop = %v, %v", db, vs)
	}
	if left := pgrepRunDir(h.runDir); left != "" {
		t.Errorf("processes left after StopDaemons:\n%s", left)
	}
	if err := StopDaemons(h.runDir); err != nil {
		t.Errorf("second StopDaemons: %v", err)
	}
}

func TestConnectUnreachable(t *testing.T) {
	endpoint := "unix:" + t.TempDir() + "/db.sock"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := Connect(ctx, endpoint)
	if err == nil {
		c.Close()
		t.Fatal("Connect to a socket nobody serves succeeded")
	}
	t.Logf("refused: %v", err)
	for _, want := range []string{endpoint, "is ovsdb-server running?", "--ovsdb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestRootStopDaemonsWithoutControlSocket covers the fallback: when
// `ovs-appctl exit` cannot reach a daemon, StopDaemons signals it.
func TestRootStopDaemonsWithoutControlSocket(t *testing.T) {
	h := startHost(t)
	for _, name := range []string{ovsVswitchd, ovsdbServer} {
		ctls, _ := filepath.Glob(filepath.Join(h.runDir, name+".*.ctl"))
		if len(ctls) != 1 {
			t.Fatalf("want one control socket of %s, found %v", name, ctls)
		}
		if err := os.Remove(ctls[0]); err != nil {
			t.Fatal(err)
		}
	}
	if err := StopDaemons(h.runDir); err != nil {
		t.Fatalf("StopDaemons: %v", err)
	}
	if left := pgrepRunDir(h.runDir); left != "" {
		t.Errorf("processes left after StopDaemons:\n%s", left)
	}
}

func TestRootStartDaemonsBadNetns(t *testing.T) {
	testenv.Require(t, ovsBins...)
	runDir := t.TempDir()
	t.Cleanup(func() { _ = StopDaemons(runDir) })
	err := StartDaemons(testCtx(t), runDir, "/run/netns/ovslab-no-such-netns")
	if err == nil || !strings.Contains(err.Error(), "ovslab-no-such-netns") {
		t.Fatalf("StartDaemons in a missing netns = %v, want an error naming it", err)
	}
	if db, vs := DaemonsRunning(runDir); db || vs {
		t.Errorf("daemons running after a failed start: %v, %v", db, vs)
	}
}

// A database after the first is the first one's bytes, which must be
// exactly what ovsdb-tool makes for the schema.
func TestRootEmptyDBIsToolsOwn(t *testing.T) {
	testenv.Require(t, "ovsdb-tool")
	schema, err := findSchema()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	env := daemonEnv(dir, filepath.Dir(schema))
	ctx := testCtx(t)
	tool := filepath.Join(dir, "tool.db")
	if err := runTool(ctx, env, "ovsdb-tool", "create", tool, schema); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(tool)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.db", "b.db"} {
		p := filepath.Join(dir, name)
		if err := createEmptyDB(ctx, p, schema, env); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("%s differs from ovsdb-tool create's database", name)
		}
	}
	n := 0
	emptyDBs.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d cached empty databases for one schema, want 1", n)
	}
}

// A vswitchd that does nothing (stopped) is named hung within a couple of
// periods, not waited on for the busy limit.
func TestRootAppctlStoppedDaemonIsHung(t *testing.T) {
	h := startHost(t)
	shortWaits(t)
	sock, err := VswitchdControl(h.runDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Appctl(testCtx(t), sock, "version"); err != nil {
		t.Fatalf("a running vswitchd: %v", err)
	}
	pid, _ := daemonPID(h.runDir, ovsVswitchd)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGCONT) }) // before StopDaemons
	start := time.Now()
	_, err = Appctl(context.Background(), sock, "version")
	if err == nil || !strings.Contains(err.Error(), "is it hung") {
		t.Fatalf("a stopped vswitchd: want it named hung, got %v", err)
	}
	if d := time.Since(start); d > unixctlBusyLimit/2 {
		t.Fatalf("took %s to call a stopped vswitchd hung", d)
	}
}
