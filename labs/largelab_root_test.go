package labs

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootLargeLabWarning: up of a lab as large as largeLab on this
// machine's dockerd warns once, naming the release and the bug, when the
// release has the churn deadlock (Debian 12's 20.10.24 here and in CI),
// and not at all otherwise; the same lab below the threshold is not
// warned about. The threshold is lowered to the reference lab's 4
// containers rather than bringing up 200.
func TestRootLargeLabWarning(t *testing.T) {
	requireLabTools(t)
	const lab, p = "bigwarn", "bgw" // no "doc" in the name: labYAML prefixes every "doc"
	cleanupLab(t, lab)
	version := strings.TrimSpace(testenv.Run(t, "docker", "version", "--format", "{{.Server.Version}}"))
	affected, _ := containers.ChurnDeadlock(version)
	t.Logf("dockerd here is %q: deadlock %v", version, affected)
	text := labYAML(t, lab, p)

	up := func(threshold int) []string {
		t.Helper()
		old := largeLab
		largeLab = threshold
		defer func() { largeLab = old }()
		var (
			mu    sync.Mutex
			notes []string
		)
		note := func(format string, args ...any) {
			mu.Lock()
			defer mu.Unlock()
			notes = append(notes, fmt.Sprintf(format, args...))
		}
		if err := Up(context.Background(), mustSource(t, text), UpOptions{Emulate: true, Reporter: Reporter{Note: note}}); err != nil {
			t.Fatalf("up: %v", err)
		}
		var warnings []string
		for _, n := range notes {
			if strings.HasPrefix(n, "warning:") {
				warnings = append(warnings, n)
			}
		}
		return warnings
	}

	w := up(4)
	switch {
	case affected && len(w) != 1:
		t.Errorf("up of 4 containers with the threshold at 4 on Docker %s: %d warnings, want 1: %q", version, len(w), w)
	case affected:
		t.Log(w[0])
		for _, want := range []string{"Docker " + version, containers.DeadlockBug, "with 4 containers"} {
			if !strings.Contains(w[0], want) {
				t.Errorf("warning %q lacks %q", w[0], want)
			}
		}
	case len(w) != 0:
		t.Errorf("up on Docker %s, which has no known deadlock, warned: %q", version, w)
	}
	if w := up(5); len(w) != 0 {
		t.Errorf("up of 4 containers with the threshold at 5 warned: %q", w)
	}
}
