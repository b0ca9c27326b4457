package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// ProtectedSymlinksOff sets fs.protected_symlinks=0 (machine-wide: run it
// under the root-test lock) for the test and restores it afterwards, so a
// test of a planted symlink does not pass only because the kernel refused
// to follow it.
func ProtectedSymlinksOff(t testing.TB) {
	t.Helper()
	Require(t)
	const knob = "/proc/sys/fs/protected_symlinks"
	old, err := os.ReadFile(knob)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.WriteFile(knob, old, 0o644); err != nil {
			t.Errorf("restore %s: %v", knob, err)
		}
	})
	if err := os.WriteFile(knob, []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// PlantedSymlink is what another local user can leave where root is about
// to write: in a sticky world-writable directory (like /tmp), a symlink
// owned by nobody, named name, pointing at a root-owned file that holds
// Secret. It fails the test unless the kernel follows the link for root
// (see ProtectedSymlinksOff).
func PlantedSymlink(t testing.TB, name string) (link, target string) {
	t.Helper()
	Require(t)
	base := t.TempDir()
	target = filepath.Join(base, "secret")
	if err := os.WriteFile(target, []byte(Secret), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "tmp")
	if err := os.Mkdir(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(dir, name)
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(link, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(link)
	if err != nil {
		t.Fatalf("the kernel does not follow the planted link (%v): the test would prove nothing", err)
	}
	f.Close()
	return link, target
}

// Secret is what PlantedSymlink's target holds.
const Secret = "root's secret\n"

// Untouched fails the test unless the file at path still holds Secret.
func Untouched(t testing.TB, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != Secret {
		t.Errorf("%s holds %q, want it untouched", path, b)
	}
}
