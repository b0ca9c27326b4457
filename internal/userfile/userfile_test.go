package userfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// write creates path through Create and writes data.
func write(path, data string) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	_, err = f.WriteString(data)
	return errors.Join(err, f.Close())
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// notSudo makes invoker() the effective user whatever the environment.
func notSudo(t *testing.T) {
	t.Setenv("SUDO_UID", "")
	t.Setenv("SUDO_GID", "")
}

func TestCreateNewAndOwn(t *testing.T) {
	notSudo(t)
	p := filepath.Join(t.TempDir(), "out.pcap")
	if err := write(p, "first, longer"); err != nil {
		t.Fatalf("new file: %v", err)
	}
	if err := write(p, "second"); err != nil {
		t.Fatalf("own file again: %v", err)
	}
	if got := readFile(t, p); got != "second" {
		t.Errorf("own file holds %q, want it truncated to %q", got, "second")
	}
}

// TestCreateRefuses: a symlink (to a file or to nothing), a second hard
// link, a FIFO and a directory are refused, and what they lead to is left
// exactly as it was.
func TestCreateRefuses(t *testing.T) {
	notSudo(t)
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "made-through-link"), dangling); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard")
	if err := os.Link(target, hard); err != nil {
		t.Fatal(err)
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{link, dangling, hard, fifo, dir} {
		t.Run(filepath.Base(p), func(t *testing.T) {
			err := write(p, "overwritten")
			if err == nil {
				t.Fatalf("Create(%s) wrote", p)
			}
			if !errors.Is(err, ErrNotYours) {
				t.Errorf("Create(%s): %v, want ErrNotYours", p, err)
			}
		})
	}
	if got := readFile(t, target); got != "precious" {
		t.Errorf("target holds %q, want it untouched", got)
	}
	if _, err := os.Lstat(filepath.Join(dir, "made-through-link")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a dangling symlink's target was created: %v", err)
	}
}

// TestRootCreateOthersFile: root never truncates another user's file,
// and under sudo makes a new file the sudo user's.
func TestRootCreateOthersFile(t *testing.T) {
	testenv.Require(t)
	notSudo(t)
	dir := t.TempDir()
	theirs := filepath.Join(dir, "theirs")
	if err := os.WriteFile(theirs, []byte("nobody's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(theirs, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if err := write(theirs, "root's"); !errors.Is(err, ErrNotYours) {
		t.Errorf("root writing nobody's file: %v, want ErrNotYours", err)
	}
	if got := readFile(t, theirs); got != "nobody's" {
		t.Errorf("nobody's file holds %q", got)
	}

	t.Setenv("SUDO_UID", "65534")
	t.Setenv("SUDO_GID", "65534")
	fresh := filepath.Join(dir, "fresh")
	if err := write(fresh, "x"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if s := st.Sys().(*syscall.Stat_t); s.Uid != 65534 || s.Gid != 65534 {
		t.Errorf("file made for sudo user 65534 is owned by %d:%d", s.Uid, s.Gid)
	}
	if err := write(fresh, "again"); err != nil {
		t.Errorf("the sudo user's own file again: %v", err)
	}
	// Root's own file is not the sudo user's.
	rootFile := filepath.Join(dir, "root")
	if err := os.WriteFile(rootFile, []byte("root's"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := write(rootFile, "x"); !errors.Is(err, ErrNotYours) {
		t.Errorf("writing root's file for sudo user: %v, want ErrNotYours", err)
	}
}

// TestRootCreatePlantedSymlink is the attack: another user plants a
// symlink in a sticky world-writable directory (like /tmp) where root will
// write, pointing at a file of root's. With fs.protected_symlinks=0 the
// kernel itself follows it; Create must not.
func TestRootCreatePlantedSymlink(t *testing.T) {
	notSudo(t)
	testenv.ProtectedSymlinksOff(t)
	link, target := testenv.PlantedSymlink(t, "capture.pcap")
	if err := write(link, "packets a container chose"); !errors.Is(err, ErrNotYours) {
		t.Errorf("Create through a planted symlink: %v, want ErrNotYours", err)
	}
	testenv.Untouched(t, target)
}
