package ovs

import (
	"context"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// ovsBins are what the root tests run.
var ovsBins = []string{"ovsdb-server", "ovs-vswitchd", "ovsdb-tool", "ovs-appctl", "ovs-vsctl", "ip", "pgrep"}

// emulatedHost is a throwaway netns running its own ovsdb-server and
// ovs-vswitchd, stopped and removed when the test ends, pass or fail.
type emulatedHost struct {
	ns     string
	runDir string
	c      *Client
}

func startHost(t *testing.T) *emulatedHost {
	t.Helper()
	testenv.Require(t, ovsBins...)
	h := &emulatedHost{ns: testenv.Netns(t, "ovstest"), runDir: t.TempDir()}
	// Registered before starting, so a half-started pair is stopped too;
	// cleanups run last-in first-out, so this runs before the netns goes.
	t.Cleanup(func() {
		if err := StopDaemons(h.runDir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	ctx := testCtx(t)
	if err := StartDaemons(ctx, h.runDir, nsutil.Path(h.ns)); err != nil {
		t.Fatalf("StartDaemons: %v", err)
	}
	c, err := Connect(ctx, Endpoint(h.runDir))
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	t.Cleanup(c.Close)
	h.c = c
	return h
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// vsctl runs ovs-vsctl against the host's database: the independent check
// that what Apply wrote is what OVS's own tool sees.
func (h *emulatedHost) vsctl(t *testing.T, args ...string) string {
	t.Helper()
	base := []string{"--db=" + Endpoint(h.runDir), "--no-wait", "--timeout=10"}
	return strings.TrimSpace(testenv.Run(t, "ovs-vsctl", append(base, args...)...))
}

// vsctlErr runs ovs-vsctl and returns its error instead of failing.
func (h *emulatedHost) vsctlErr(args ...string) error {
	base := []string{"--db=" + Endpoint(h.runDir), "--no-wait", "--timeout=10"}
	return exec.Command("ovs-vsctl", append(base, args...)...).Run()
}

// rows returns "table name uuid" for every Bridge, Port and Interface row.
func (h *emulatedHost) rows(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, table := range []string{"Bridge", "Port", "Interface"} {
		list := h.vsctl(t, "-f", "csv", "--no-headings", "--columns=name,_uuid", "list", table)
		for _, line := range strings.Split(list, "\n") {
			if line != "" {
				out = append(out, table+" "+line)
			}
		}
	}
	sort.Strings(out)
	return out
}

// ports lists br's ports the way ovs-vsctl does (without the local one).
func (h *emulatedHost) ports(t *testing.T, br string) []string {
	t.Helper()
	return strings.Fields(h.vsctl(t, "list-ports", br))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
