package labs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootNeighbourTableRoom: the kernel's one ARP table is nearly full
// (limits just above the entries it holds). Up must make room for the
// lab before its containers resolve anything, check must pass, and down
// must put back the limits it found.
func TestRootNeighbourTableRoom(t *testing.T) {
	requireLabTools(t)
	const lab = "neigh-room"
	keepNeighLimits(t)
	cleanupLab(t, lab)
	requireNoNeighHolder(t)
	text := labYAML(t, lab, "nr")
	tight := tightenNeighLimits(t, neighNeed(mustSource(t, text).Topo, func(string) bool { return true }))

	upLab(t, text)
	raised, err := readNeighLimits()
	if err != nil {
		t.Fatal(err)
	}
	if raised[1] <= tight[1] || raised[2] <= tight[2] {
		t.Fatalf("after up the limits are %v, want gc_thresh2/3 above %v", raised, tight)
	}
	rec, err := loadNeighRecord()
	if err != nil || rec == nil || rec.Before != tight || rec.Set != raised || !slices.Equal(rec.Labs, []string{lab}) {
		t.Fatalf("the machine's record is %+v (err %v), want before %v, set %v, held by %s", rec, err, tight, raised, lab)
	}
	rep, err := runCheck(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !r.OK {
			t.Errorf("check %s %s -> %s failed: %s", r.Kind, r.From, r.To, r.Detail)
		}
	}

	// A no-op up changes nothing more.
	upLab(t, text)
	if again, _ := readNeighLimits(); again != raised {
		t.Errorf("a second up moved the limits from %v to %v", raised, again)
	}
	if err := Down(context.Background(), lab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if after, _ := readNeighLimits(); after != tight {
		t.Errorf("after down the limits are %v, want the %v up found", after, tight)
	}
	if _, err := os.Stat(neighRecordPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after the last down the record is still there (%v)", err)
	}
}

// TestRootNeighbourLimitsShared: three labs share the machine's one
// table. One raises it, one fits in what the first raised, one raises it
// further; whatever order they go down in, the limits stay raised while
// any of them is up, and the last one down puts back the machine's own.
func TestRootNeighbourLimitsShared(t *testing.T) {
	keepNeighLimits(t)
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	// c, a, b: b raised nothing, yet a's down must leave b its room.
	for _, order := range [][]string{{"a", "b", "c"}, {"c", "a", "b"}, {"b", "c", "a"}} {
		RunRoot = t.TempDir()
		tight := tightenNeighLimits(t, 8)
		upNeigh(t, "a", 1000)
		upNeigh(t, "b", 500)
		upNeigh(t, "c", 3000)
		if got, _ := readNeighLimits(); got[2] != tight[2]+3000 {
			t.Fatalf("after the three ups gc_thresh3 = %d, want the largest need above the machine's: %d", got[2], tight[2]+3000)
		}
		for i, name := range order {
			downNeigh(t, name)
			removeState(t, name)
			got, _ := readNeighLimits()
			last := i == len(order)-1
			if last && got != tight {
				t.Errorf("down order %v: after the last down the limits are %v, want the machine's %v", order, got, tight)
			}
			if !last && got[2] < tight[2]+500 {
				t.Errorf("down order %v: after %s went down gc_thresh3 = %d, below what the labs still up need", order, name, got[2])
			}
		}
	}
}

// TestRootNeighbourLimitsDownsOverlap: the two labs holding the limits
// go down together: both let go before either's state is removed (down
// removes it last, outside the machine lock). The second must still put
// back the machine's own: seeing the first's state, it took it for up.
func TestRootNeighbourLimitsDownsOverlap(t *testing.T) {
	keepNeighLimits(t)
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	RunRoot = t.TempDir()
	tight := tightenNeighLimits(t, 8)
	upNeigh(t, "a", 100)
	upNeigh(t, "b", 100)
	downNeigh(t, "a")
	downNeigh(t, "b")
	if got, _ := readNeighLimits(); got != tight {
		t.Errorf("after both downs the limits are %v, want the machine's %v", got, tight)
	}
}

// TestRootNeighbourLimitsStateGone: a holder whose state was removed by
// hand holds nothing: the other's down puts the machine's limits back,
// and so does a down that finds no state of its own.
func TestRootNeighbourLimitsStateGone(t *testing.T) {
	keepNeighLimits(t)
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	for _, gone := range []string{"b's", "a's and b's"} {
		RunRoot = t.TempDir()
		tight := tightenNeighLimits(t, 8)
		upNeigh(t, "a", 100)
		upNeigh(t, "b", 100)
		removeState(t, "b")
		if gone != "b's" {
			removeState(t, "a")
		}
		downNeigh(t, "a")
		if got, _ := readNeighLimits(); got != tight {
			t.Errorf("%s state gone: after a's down the limits are %v, want the machine's %v", gone, got, tight)
		}
	}

	// The limits a lost holder left raised are room a later lab needs:
	// it holds them, and another lab's down leaves them.
	RunRoot = t.TempDir()
	tight := tightenNeighLimits(t, 8)
	upNeigh(t, "a", 100)
	removeState(t, "a")
	upNeigh(t, "c", 50)
	downNeigh(t, "d")
	if got, _ := readNeighLimits(); got[2] < tight[2]+50 {
		t.Errorf("another lab's down took c's room: gc_thresh3 = %d, want at least %d", got[2], tight[2]+50)
	}
	downNeigh(t, "c")
	if got, _ := readNeighLimits(); got != tight {
		t.Errorf("after c's down the limits are %v, want the machine's %v", got, tight)
	}
}

// TestRootNeighbourLimitsConcurrent: a class's copies go up and down at
// once, each raising and letting go of the one table's limits under the
// machine lock, as up and down do, its state removed after. However they
// interleave, the limits are back to the machine's own at the end: two
// last downs that each saw the other still up left them raised, and the
// next up took those for the machine's, higher each round.
func TestRootNeighbourLimitsConcurrent(t *testing.T) {
	keepNeighLimits(t)
	t.Cleanup(func() { RunRoot = "/run/ovslab" })
	RunRoot = t.TempDir()
	tight := tightenNeighLimits(t, 8)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			lab := fmt.Sprintf("c%d", i)
			for round := range 5 {
				saveState(t, lab)
				err := withMachineLock(ctx, func() error { return raiseNeighLimits(lab, "", 100+i, func(string, ...any) {}) })
				if err != nil {
					t.Errorf("%s round %d: up: %v", lab, round, err)
					return
				}
				if err := withMachineLock(ctx, func() error { return restoreNeighLimits(lab) }); err != nil {
					t.Errorf("%s round %d: down: %v", lab, round, err)
					return
				}
				if err := os.RemoveAll(filepath.Join(RunRoot, lab)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got, _ := readNeighLimits(); got != tight {
		t.Errorf("after every lab went down the limits are %v, want the machine's %v", got, tight)
	}
	if _, err := os.Stat(neighRecordPath()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after every lab went down the record is still there (%v)", err)
	}
}

// keepNeighLimits puts the machine's neighbour limits back when t ends.
func keepNeighLimits(t *testing.T) {
	t.Helper()
	orig, err := readNeighLimits()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := writeNeighLimits(orig); err != nil {
			t.Errorf("put back the machine's neighbour limits %v: %v", orig, err)
		}
	})
}

// requireNoNeighHolder fails when a lab on the machine holds the
// neighbour limits: up would keep the machine's limits that lab's up
// found, not the limits this test sets (a lab left up by an earlier
// test, or someone's own).
func requireNoNeighHolder(t *testing.T) {
	t.Helper()
	rec, err := loadNeighRecord()
	if err != nil {
		t.Fatal(err)
	}
	if rec != nil && len(rec.Labs) > 0 {
		t.Fatalf("labs %v are up and hold the neighbour limits (before %v, set %v): this test needs the machine's own; take them down", rec.Labs, rec.Before, rec.Set)
	}
}

// upNeigh raises the limits for lab as its up does, state first.
func upNeigh(t *testing.T, lab string, need int) {
	t.Helper()
	saveState(t, lab)
	if err := raiseNeighLimits(lab, "", need, func(string, ...any) {}); err != nil {
		t.Fatal(err)
	}
}

// downNeigh lets go of lab's hold as its down does, state kept.
func downNeigh(t *testing.T, lab string) {
	t.Helper()
	if err := restoreNeighLimits(lab); err != nil {
		t.Fatal(err)
	}
}

// removeState removes lab's state, as down does last or a user by hand.
func removeState(t *testing.T, lab string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(RunRoot, lab)); err != nil {
		t.Fatal(err)
	}
}

// saveState gives lab a state, as up does before it raises the limits.
func saveState(t *testing.T, lab string) {
	t.Helper()
	if err := (&State{Lab: lab, Mode: ModeEmulated}).Save(); err != nil {
		t.Fatal(err)
	}
}

// tightenNeighLimits leaves the table less room than the lab needs,
// whatever it holds now: limits set just above the entries it holds
// lost the race with the kernel, which frees the entries of namespaces
// an earlier test deleted after they were counted, leaving room the lab
// then fit in. Returns the limits it set.
func tightenNeighLimits(t *testing.T, need int) [3]int {
	t.Helper()
	tight := [3]int{need / 2, need - 1, need}
	if err := writeNeighLimits(tight); err != nil {
		t.Fatal(err)
	}
	return tight
}

// TestRootNeighEntriesAnyMainThread: the table's count is read where Do
// put the calling thread, whichever netns the process's main thread is
// lent to meanwhile. Goroutines holding threads in another netns keep
// the main thread there part of the time; reading /proc/net (the main
// thread's view), where the count does not exist, failed up now and
// then and left the limits unraised.
func TestRootNeighEntriesAnyMainThread(t *testing.T) {
	testenv.Require(t)
	ns := nsutil.Path(testenv.Netns(t, "ovslab-nmain"))
	for range 4 * runtime.GOMAXPROCS(0) {
		defer testenv.Background(func() bool {
			if err := nsutil.Do(ns, func() error { runtime.Gosched(); return nil }); err != nil {
				t.Error(err)
				return false
			}
			return true
		})()
	}
	for i := range 2000 {
		err := nsutil.Do(nsutil.Own(), func() error { _, err := neighEntries(); return err })
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
	}
}
