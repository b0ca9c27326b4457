package sandbox

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/ovs"
)

// TestMain lets this test binary be the shell's init, as ovslab's main
// does.
func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}

// Identity of the test shells: nobody, and a group no file on the machine
// belongs to, as a lab copy's would be.
const (
	testUID = 65534
	testGID = 2147001
)

// host is a throwaway emulated host: a netns with a veth pair v0/v1, its
// own ovsdb-server and ovs-vswitchd, and a netdev bridge br0 with an
// internal port p1, shared with testGID.
type host struct {
	ns, runDir string
}

func newHost(t *testing.T) *host {
	t.Helper()
	testenv.Require(t, "ip", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ovs-appctl",
		"iptables", "tcpdump", "python3", "nsenter", "unshare")
	return newHostB(t)
}

// newHostB makes the host for a test or a benchmark.
func newHostB(t testing.TB) *host {
	t.Helper()
	h := &host{ns: testenv.Netns(t, "sbxtest"), runDir: filepath.Join(t.TempDir(), "ovs")}
	testenv.Run(t, "ip", "-n", h.ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
	t.Cleanup(func() {
		if err := ovs.StopDaemons(h.runDir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := ovs.StartDaemons(ctx, h.runDir, nsutil.Path(h.ns)); err != nil {
		t.Fatal(err)
	}
	h.vsctl(t, "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev",
		"--", "add-port", "br0", "p1", "--", "set", "interface", "p1", "type=internal")
	// ovs-ofctl needs br0.mgmt, which vswitchd makes once it has the bridge.
	testenv.Eventually(t, 10*time.Second, func() error {
		_, err := os.Stat(filepath.Join(h.runDir, "br0.mgmt"))
		return err
	})
	if err := ShareOVS(h.runDir, testGID); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *host) vsctl(t testing.TB, args ...string) string {
	t.Helper()
	base := []string{"--db=" + ovs.Endpoint(h.runDir), "--timeout=10"}
	return strings.TrimSpace(testenv.Run(t, "ovs-vsctl", append(base, args...)...))
}

func (h *host) config() Config {
	return Config{Netns: nsutil.Path(h.ns), OVSRunDir: h.runDir, UID: testUID, GID: testGID}
}

// shellTimeout bounds one test shell; a hung one is killed and fails.
const shellTimeout = 60 * time.Second

// run runs script with /bin/sh -c in a sandbox of cfg and returns its
// output (stdout and stderr together) and exit error.
func run(t *testing.T, cfg Config, script string) (string, error) {
	t.Helper()
	cfg.Command = []string{"/bin/sh", "-c", script}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Release(); err != nil {
			t.Errorf("Release: %v", err)
		}
	}()
	var out bytes.Buffer
	s.Cmd().Stdout, s.Cmd().Stderr = &out, &out
	if err := s.Cmd().Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(shellTimeout, func() { _ = s.Cmd().Process.Kill() })
	defer timer.Stop()
	if err := s.Ready(context.Background()); err != nil {
		_ = s.Cmd().Wait()
		t.Fatalf("%v\n%s", err, out.String())
	}
	werr := s.Cmd().Wait()
	return out.String(), werr
}

// mustRun is run that fails the test unless the script exits 0.
func mustRun(t *testing.T, cfg Config, script string) string {
	t.Helper()
	out, err := run(t, cfg, script)
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
	return out
}

// wantLines fails unless out holds each line exactly.
func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	have := strings.Split(strings.TrimRight(out, "\n"), "\n")
	for _, l := range lines {
		found := false
		for _, h := range have {
			found = found || h == l
		}
		if !found {
			t.Errorf("missing line %q in output:\n%s", l, out)
		}
	}
}

func linkNames(out string) []string {
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		// "2: v0@v1: <...": the name, without the peer.
		f := strings.Fields(l)
		if len(f) > 1 {
			n, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			names = append(names, n)
		}
	}
	return names
}
