package ovs

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

// TestRootDaemonsMergeableWhereKSMRuns: the daemons are marked for
// same-page merging, and this process with them, only where ksmd runs;
// the mark is never cleared (clearing unmerges the whole process).
func TestRootDaemonsMergeableWhereKSMRuns(t *testing.T) {
	if ksmMergeAny("self") == "" {
		t.Skip("this kernel reports no ksm_merge_any")
	}
	orig, err := os.ReadFile(ksmRun)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = unix.Prctl(unix.PR_SET_MEMORY_MERGE, 0, 0, 0, 0)
		if err := os.WriteFile(ksmRun, orig, 0o644); err != nil {
			t.Errorf("put back %s: %v", ksmRun, err)
		}
	})
	for _, run := range []string{"0", "1"} {
		if err := os.WriteFile(ksmRun, []byte(run), 0o644); err != nil {
			t.Fatal(err)
		}
		h := startHost(t)
		want := map[string]string{"0": "no", "1": "yes"}[run]
		for _, name := range []string{ovsVswitchd, ovsdbServer} {
			pid, _ := daemonPID(h.runDir, name)
			if got := ksmMergeAny(fmt.Sprint(pid)); got != want {
				t.Errorf("ksm run %s: %s (pid %d): ksm_merge_any = %s, want %s", run, name, pid, got, want)
			}
		}
		if got := ksmMergeAny("self"); got != want {
			t.Errorf("ksm run %s: this process: ksm_merge_any = %s, want %s", run, got, want)
		}
	}
}
