package ovs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// vswitchdThreads counts the running vswitchd's threads whose name starts
// with prefix (OVS names them handler<N>, revalidator<N>).
func vswitchdThreads(t *testing.T, runDir, prefix string) int {
	t.Helper()
	pid, up := daemonPID(runDir, ovsVswitchd)
	if !up {
		t.Fatal("ovs-vswitchd is not running")
	}
	comms, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/comm", pid))
	n := 0
	for _, c := range comms {
		if b, err := os.ReadFile(c); err == nil && strings.HasPrefix(string(b), prefix) {
			n++
		}
	}
	return n
}

// waitThreads waits until vswitchd runs want handler and want revalidator
// threads (it starts them once a datapath exists).
func waitThreads(t *testing.T, runDir string, handlers, revalidators int) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, func() error {
		h, r := vswitchdThreads(t, runDir, "handler"), vswitchdThreads(t, runDir, "revalidator")
		if h != handlers || r != revalidators {
			return fmt.Errorf("vswitchd runs %d handler and %d revalidator threads, want %d and %d", h, r, handlers, revalidators)
		}
		return nil
	})
}

// ksmMergeAny reads pid's mark for same-page merging ("yes"/"no"), or ""
// where the kernel does not report it.
func ksmMergeAny(pid string) string {
	b, err := os.ReadFile("/proc/" + pid + "/ksm_stat")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ksm_merge_any: "); ok {
			return v
		}
	}
	return ""
}

func TestRootDaemonsMemorySettings(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	if got := h.vsctl(t, "get", "Open_vSwitch", ".", "other_config"); got != `{max-revalidator="5000", n-handler-threads="1", n-revalidator-threads="1"}` {
		t.Errorf("other_config = %s, want one handler and one revalidator thread, revalidating every 5 s", got)
	}
	if err := h.c.Apply(ctx, lab, []Bridge{{Name: "br1", Datapath: "netdev"}}); err != nil {
		t.Fatal(err)
	}
	waitThreads(t, h.runDir, 1, 1)

	// Both daemons carry the mark; this process, which set it around
	// their start, no longer does.
	for _, name := range []string{ovsVswitchd, ovsdbServer} {
		pid, _ := daemonPID(h.runDir, name)
		got := ksmMergeAny(fmt.Sprint(pid))
		if got == "" {
			t.Logf("kernel reports no ksm_merge_any: mark not checked")
			break
		}
		if got != "yes" {
			t.Errorf("%s (pid %d): ksm_merge_any = %s, want yes", name, pid, got)
		}
	}
	if got := ksmMergeAny("self"); got != "" && got != "no" {
		t.Errorf("the test process is still marked for merging (ksm_merge_any = %s)", got)
	}

	// A database that lacks a key gets it at the next start; a key set by
	// hand keeps its value.
	h.vsctl(t, "set", "Open_vSwitch", ".", "other_config:n-handler-threads=2")
	h.vsctl(t, "remove", "Open_vSwitch", ".", "other_config", "n-revalidator-threads")
	if err := StopDaemons(h.runDir); err != nil {
		t.Fatal(err)
	}
	if err := StartDaemons(ctx, h.runDir, nsutil.Path(h.ns)); err != nil {
		t.Fatal(err)
	}
	if got := h.vsctl(t, "get", "Open_vSwitch", ".", "other_config"); got != `{max-revalidator="5000", n-handler-threads="2", n-revalidator-threads="1"}` {
		t.Errorf("other_config after restart = %s, want the hand-set handlers kept and the revalidators restored", got)
	}
	waitThreads(t, h.runDir, 2, 1)
}
