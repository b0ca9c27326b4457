package containers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFirstOfNamespace(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		status       string
		first, known bool
	}{
		{"Name:\tsleep\nNSpid:\t4242\t1\nNStgid:\t4242\t1\n", true, true},
		{"Name:\tsleep\nNSpid:\t4242\t17\n", false, true},
		{"NSpid:\t4242", false, true},                                        // the machine's own namespace: one PID, not 1
		{"NSpid:\t1", true, true},                                            // the machine's init
		{"Pid:\t1\nPPid:\t0\n", false, false},                                // a kernel without the line
		{"pos:\t0\nflags:\t02000002\nPid:\t77\nNSpid:\t77\t1\n", true, true}, // a pidfd's fdinfo
	} {
		p := filepath.Join(dir, "status")
		if err := os.WriteFile(p, []byte(c.status), 0o600); err != nil {
			t.Fatal(err)
		}
		first, known := firstOfNamespace(p)
		if first != c.first || known != c.known {
			t.Errorf("%q: first, known = %v, %v; want %v, %v", c.status, first, known, c.first, c.known)
		}
	}
}

// A file larger than the caller's buffer is read whole.
func TestReadSmallGrows(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	want := strings.Repeat("0123456789abcdef", 1000)
	if err := os.WriteFile(p, []byte(want), 0o600); err != nil {
		t.Fatal(err)
	}
	var a [16]byte
	got, err := readSmall(p, a[:0])
	if err != nil || string(got) != want {
		t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(want))
	}
}
