package server

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestIDs: a copy's shell id is in the reserved range, the same
// whichever copy is asked for first, different for every copy, and
// never one the machine's files name or delegate.
func TestIDs(t *testing.T) {
	dir := t.TempDir()
	x := &IDs{}
	labs := []string{"net101-alice", "net101-bob", "net101-carol", "net202-dave"}
	first := map[string]int{}
	for _, l := range labs {
		id, err := x.For(l, labs)
		if err != nil {
			t.Fatal(err)
		}
		if id < IDBase || id >= IDBase+IDSpan {
			t.Errorf("%s: id %#x out of the range", l, id)
		}
		first[l] = id
	}
	seen := map[int]string{}
	for l, id := range first {
		if other, ok := seen[id]; ok {
			t.Errorf("%s and %s share id %d", l, other, id)
		}
		seen[id] = l
	}
	// Asked with the labs in another order: the same ids.
	reversed := slices.Clone(labs)
	slices.Reverse(reversed)
	for _, l := range labs {
		if id, _ := x.For(l, reversed); id != first[l] {
			t.Errorf("%s again: %d, was %d", l, id, first[l])
		}
	}
	// Ids the machine's files name, or delegate, are passed over.
	alice := first["net101-alice"]
	x = &IDs{
		Passwd: writeFile(t, dir, "passwd", "root:x:0:0::/root:/bin/sh\nsomeone:x:"+itoa(alice)+":100::/:/bin/sh\n"),
		Group:  writeFile(t, dir, "group", "g:x:"+itoa(alice+1)+":\n"),
		Subuid: writeFile(t, dir, "subuid", "# comment\nu:"+itoa(alice+2)+":10\n"),
		Subgid: filepath.Join(dir, "none"),
	}
	id, err := x.For("net101-alice", labs)
	if err != nil {
		t.Fatal(err)
	}
	if id >= alice && id < alice+12 {
		t.Errorf("id %d is named or delegated by the machine's files", id)
	}
	// Two labs that hash to the same id: the later in sorted order moves.
	a, b := collidingLabs(t)
	ia, _ := (&IDs{}).For(a, []string{a, b})
	ib, _ := (&IDs{}).For(b, []string{b, a})
	if ia == ib {
		t.Errorf("%s and %s share id %d", a, b, ia)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// collidingLabs finds two lab names whose hashes give the same id.
func collidingLabs(t *testing.T) (string, string) {
	t.Helper()
	seen := map[int]string{}
	for i := 0; i < 1<<22; i++ {
		l := "c-" + strconv.Itoa(i)
		id, _ := place(l, func(int) bool { return false })
		if o, ok := seen[id]; ok {
			return o, l
		}
		seen[id] = l
	}
	t.Fatal("no collision found")
	return "", ""
}
