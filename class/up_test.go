package class

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestUpRefusesWhatDoesNotFit: with too little memory (injected), Up
// changes nothing: no copy, no record.
func TestUpRefusesWhatDoesNotFit(t *testing.T) {
	root := useRoot(t)
	c := testClass(t, "nofit", "a", "b")
	called := false
	res, err := Up(context.Background(), c, UpOptions{Available: func() (uint64, error) { called = true; return 200 << 20, nil }})
	var me *MemoryError
	if !errors.As(err, &me) || res != nil || !called {
		t.Fatalf("Up with 200 MiB: %v, %v; want a MemoryError and no results", res, err)
	}
	if me.Copies != 2 || me.Available != 200<<20 || me.Need != 2*FootprintOf(c.Lab.Topo).Bytes {
		t.Errorf("MemoryError %+v", me)
	}
	if _, err := os.Stat(filepath.Join(root, "nofit")); !os.IsNotExist(err) {
		t.Errorf("a refused Up recorded the class (%v)", err)
	}
}

// TestUpRefusesAnotherClassCopy: a copy's name that is another class's
// copy is refused before anything changes.
func TestUpRefusesAnotherClassCopy(t *testing.T) {
	useRoot(t)
	if err := register(testClass(t, "net", "a-b")); err != nil {
		t.Fatal(err)
	}
	_, err := Up(context.Background(), testClass(t, "net-a", "b"), UpOptions{Available: func() (uint64, error) { return 1 << 40, nil }})
	if err == nil || err.Error() != "class net-a: student b's copy net-a-b is a copy of class net already; rename the student or the class" {
		t.Errorf("Up of a copy another class has: %v", err)
	}
	if _, err := Get("net-a"); !errors.Is(err, ErrNoClass) {
		t.Errorf("the refused class was recorded: %v", err)
	}
}
