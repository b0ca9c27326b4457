package containers

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// secret is what a file outside the build context holds; it is as long as
// inside's content, so a swapped-in file fits the header already written.
const (
	secret = "root-only secret"
	inside = "harmless content"
)

// swapWriter records the tar stream and, when the header of entry name
// passes, runs swap: the moment between tarDir looking at that entry and
// reading it.
type swapWriter struct {
	bytes.Buffer
	name string
	swap func()
}

func (w *swapWriter) Write(p []byte) (int, error) {
	if w.swap != nil && len(p) == 512 {
		if n := string(bytes.TrimRight(p[:100], "\x00")); n == w.name {
			w.swap()
			w.swap = nil
		}
	}
	return w.Buffer.Write(p)
}

// entries lists a tar stream's names with their link targets and contents.
func entries(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return out // a stream cut short by tarDir's error: what it holds so far
		}
		data, _ := io.ReadAll(tr)
		out[h.Name] = h.Linkname + "|" + string(data)
	}
}

// TestTarDirStaysInside: a build context never brings in a file from
// outside its directory, whether a symlink out is there from the start
// or swapped in for a file or a directory while the context is read.
func TestTarDirStaysInside(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "f"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		setup  func(ctx string)
		at     string // header at which swap runs
		swap   func(ctx string)
		errOK  bool // tarDir may fail (the walk met the escape), as long as nothing leaked
		wantIn string
	}{{
		name: "symlinks out, present from the start",
		setup: func(ctx string) {
			must(t, os.Symlink(filepath.Join(outside, "f"), filepath.Join(ctx, "abs")))
			must(t, os.Symlink("../"+filepath.Base(outside)+"/f", filepath.Join(ctx, "rel")))
			must(t, os.Symlink(outside, filepath.Join(ctx, "dir")))
		},
		wantIn: "abs",
	}, {
		name: "file swapped for a symlink out",
		setup: func(ctx string) {
			must(t, os.WriteFile(filepath.Join(ctx, "f"), []byte(inside), 0o644))
		},
		at: "f",
		swap: func(ctx string) {
			must(t, os.Remove(filepath.Join(ctx, "f")))
			must(t, os.Symlink(filepath.Join(outside, "f"), filepath.Join(ctx, "f")))
		},
		wantIn: "f",
	}, {
		name: "file swapped for a symlink out after the listing",
		setup: func(ctx string) {
			must(t, os.WriteFile(filepath.Join(ctx, "f"), []byte(inside), 0o644))
		},
		at: "Dockerfile", // listed with f, written before f is looked at
		swap: func(ctx string) {
			must(t, os.Remove(filepath.Join(ctx, "f")))
			must(t, os.Symlink(filepath.Join(outside, "f"), filepath.Join(ctx, "f")))
		},
		errOK: true,
	}, {
		name: "directory swapped for a symlink out",
		setup: func(ctx string) {
			must(t, os.Mkdir(filepath.Join(ctx, "d"), 0o755))
			must(t, os.WriteFile(filepath.Join(ctx, "d", "f"), []byte(inside), 0o644))
		},
		at: "d/",
		swap: func(ctx string) {
			must(t, os.RemoveAll(filepath.Join(ctx, "d")))
			must(t, os.Symlink(outside, filepath.Join(ctx, "d")))
		},
		errOK: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.TempDir()
			must(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\n"), 0o644))
			tc.setup(ctx)
			w := &swapWriter{name: tc.at}
			if tc.swap != nil {
				w.swap = func() { tc.swap(ctx) }
			}
			err := tarDir(ctx, w)
			if err != nil && !tc.errOK {
				t.Fatalf("tarDir: %v", err)
			}
			if w.swap != nil {
				t.Fatalf("the stream never held %q: the swap did not happen", tc.at)
			}
			if strings.Contains(w.String(), secret) {
				t.Errorf("the context's tar holds the content of %s/f: %v", outside, entries(t, w.Bytes()))
			}
			if got := entries(t, w.Bytes()); tc.wantIn != "" {
				if _, ok := got[tc.wantIn]; !ok {
					t.Errorf("tar lacks %s: %v", tc.wantIn, got)
				}
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestBuildContextFIFO: a FIFO where a file was, or as the Dockerfile,
// is not opened in a way that waits for a writer: whoever can write into
// the context must not be able to hang up (and the lab's lock with it).
func TestBuildContextFIFO(t *testing.T) {
	ctx := t.TempDir()
	must(t, os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte("FROM scratch\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(ctx, "f"), []byte(inside), 0o644))
	w := &swapWriter{name: "Dockerfile", swap: func() {
		must(t, os.Remove(filepath.Join(ctx, "f")))
		must(t, syscall.Mkfifo(filepath.Join(ctx, "f"), 0o644))
	}}
	if err := returns(t, func() error { return tarDir(ctx, w) }); err != nil {
		t.Errorf("tarDir with a FIFO swapped in: %v, want it left out", err)
	}
	if got := entries(t, w.Bytes()); got["f"] != "" {
		t.Errorf("the FIFO is in the context as %q", got["f"])
	}

	fifoDir := t.TempDir()
	must(t, syscall.Mkfifo(filepath.Join(fifoDir, "Dockerfile"), 0o644))
	if err := returns(t, func() error { _, err := dockerfileBases(filepath.Join(fifoDir, "Dockerfile")); return err }); err == nil {
		t.Error("a FIFO read as a Dockerfile")
	}
}

// returns runs fn and fails the test if it blocks.
func returns(t *testing.T, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- fn() }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("still blocked after 10 s")
		return nil
	}
}
