package fleet

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ovslab/ovslab/labs"
)

// TestRecord: a lab brought up from here is recalled by name, with the
// text it was brought up from, until it is forgotten; a bad name never
// reaches the file system.
func TestRecord(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	src, err := labs.Resolve("l3-vxlan")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Recall("l3-vxlan"); !errors.Is(err, ErrNotDriven) {
		t.Fatalf("recall before remember: %v", err)
	}
	if err := Remember(src); err != nil {
		t.Fatal(err)
	}
	got, err := Recall("l3-vxlan")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != src.Name || string(got.Data) != string(src.Data) || got.Topo.Name != "l3-vxlan" || len(got.Topo.Hosts) != 2 {
		t.Errorf("recalled %s (%d hosts), want %s", got.Name, len(got.Topo.Hosts), src.Name)
	}
	if err := Forget("l3-vxlan"); err != nil {
		t.Fatal(err)
	}
	if _, err := Recall("l3-vxlan"); !errors.Is(err, ErrNotDriven) {
		t.Errorf("recall after forget: %v", err)
	}
	for _, bad := range []string{"../x", "a/b", ""} {
		if _, err := Recall(bad); err == nil || errors.Is(err, ErrNotDriven) {
			t.Errorf("Recall(%q) = %v, want a bad-name error", bad, err)
		}
	}
	// A symlink planted at the record's name is replaced, not written through.
	dir := filepath.Join(os.Getenv("XDG_STATE_HOME"), "ovslab", "fleet")
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "l3-vxlan.json")); err != nil {
		t.Fatal(err)
	}
	if err := Remember(src); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("Remember wrote through a symlink: %q", b)
	}
}
