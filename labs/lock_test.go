package labs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestLockChurn: locks taken and released by many at once, as a class's
// copies take their labs' locks and the machine's. A release removes the
// lock file and, when it is the last, the .locks directory; a down
// removes its lab's directory. Another locker that has just made either
// directory must find it gone and try again, never fail (it did: "lstat
// …/.locks: no such file or directory").
func TestLockChurn(t *testing.T) {
	orig := RunRoot
	t.Cleanup(func() { RunRoot = orig })
	RunRoot = t.TempDir()
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			name := machineLockName
			switch i % 3 {
			case 1:
				name = fmt.Sprintf("lab%d", i)
			case 2:
				name = "shared" // taken by up and down at once
			}
			for round := range 300 {
				var l *labLock
				var err error
				if name == "shared" {
					// As a down does: the lab's directory goes while its
					// lock is held, under another's acquire.
					if l, err = acquire(ctx, name, false, nil); err == nil {
						err = os.RemoveAll(filepath.Join(RunRoot, name))
					}
				} else {
					l, err = lockFile(ctx, name, false, nil)
				}
				if err != nil {
					t.Errorf("%s, round %d: %v", name, round, err)
					return
				}
				l.release()
			}
		})
	}
	wg.Wait()
	if _, err := os.Stat(filepath.Join(RunRoot, ".locks")); !os.IsNotExist(err) {
		t.Errorf("the lock directory is left when no lock is held (%v)", err)
	}
}

// TestAcquireDanglingSymlink: a dangling symlink in place of the lab's
// directory makes MkdirAll say "exists" every time: acquire must give up
// with that error, not retry for ever.
func TestAcquireDanglingSymlink(t *testing.T) {
	orig := RunRoot
	t.Cleanup(func() { RunRoot = orig })
	RunRoot = t.TempDir()
	if err := os.Symlink(filepath.Join(RunRoot, "nowhere"), filepath.Join(RunRoot, "dangling")); err != nil {
		t.Fatal(err)
	}
	l, err := acquire(context.Background(), "dangling", true, nil)
	if err == nil {
		l.release()
		t.Fatal("acquire took a lab whose directory is a dangling symlink")
	}
	if !os.IsExist(err) {
		t.Errorf("acquire: %v, want mkdir's \"file exists\"", err)
	}
}
