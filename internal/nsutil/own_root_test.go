package nsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/vishvananda/netns"
)

// TestRootOwnFromAStrandedThread: a thread left in another netns reads
// that netns's /proc/sys/net, where the machine-wide neighbour limits do
// not exist (why up once skipped raising them silently); Do(Own(), ...)
// reads the process's own from that very thread.
func TestRootOwnFromAStrandedThread(t *testing.T) {
	testenv.Require(t)
	const limit = "/proc/sys/net/ipv4/neigh/default/gc_thresh3"
	if _, err := os.ReadFile(limit); err != nil {
		t.Skipf("this netns has no %s: %v", limit, err)
	}
	name := fmt.Sprintf("nsu-own-%d", os.Getpid())
	t.Cleanup(func() { _ = DeleteNamed(name) })
	if err := NewNamed(name); err != nil {
		t.Fatal(err)
	}
	type result struct{ stranded, own error }
	done := make(chan result, 1)
	go func() {
		// This thread never goes back: locked and not unlocked, the
		// runtime ends it with the goroutine.
		runtime.LockOSThread()
		target, err := netns.GetFromPath(Path(name))
		if err != nil {
			done <- result{stranded: err}
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			done <- result{stranded: err}
			return
		}
		_, stranded := os.ReadFile(limit)
		own := Do(Own(), func() error { _, err := os.ReadFile(limit); return err })
		done <- result{stranded, own}
	}()
	r := <-done
	if !errors.Is(r.stranded, fs.ErrNotExist) {
		t.Errorf("reading %s from a thread in another netns: %v, want it missing (the premise of Own)", limit, r.stranded)
	}
	if r.own != nil {
		t.Errorf("Do(Own()) from that thread: %v, want the process's own limits", r.own)
	}
}
