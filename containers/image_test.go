package containers

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBusyboxRootfs(t *testing.T) {
	if _, err := os.Stat(BusyboxPath); err != nil {
		t.Skipf("needs %s (busybox-static)", BusyboxPath)
	}
	b, err := busyboxRootfs(BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got[strings.TrimSuffix(h.Name, "/")] = h
	}
	for _, name := range []string{"bin/busybox", "bin/sh", "bin/sleep", "bin/ping", "sbin/ip", "etc/passwd", "etc/group", "tmp"} {
		if got[name] == nil {
			t.Errorf("rootfs lacks %s", name)
		}
	}
	if h := got["bin/sh"]; h != nil && (h.Typeflag != tar.TypeSymlink || h.Linkname != "/bin/busybox") {
		t.Errorf("bin/sh is %c -> %q, want a symlink to /bin/busybox", h.Typeflag, h.Linkname)
	}
	if h := got["tmp"]; h != nil && h.Mode != 0o1777 {
		t.Errorf("tmp mode %o, want 1777", h.Mode)
	}
}

func TestCheckStaticRefusesDynamicBinary(t *testing.T) {
	// The test binary itself is dynamically linked unless built static;
	// /bin/ls on Debian always is.
	err := checkStatic("/bin/ls")
	if err == nil || !strings.Contains(err.Error(), "busybox-static") {
		t.Fatalf("checkStatic(/bin/ls) = %v, want an error naming busybox-static", err)
	}
}

func TestReadMessagesFindsError(t *testing.T) {
	stream := `{"stream":"Step 1/2 : FROM x\n"}` + "\n" +
		`{"errorDetail":{"message":"pull access denied"},"error":"pull access denied"}` + "\n"
	err := readMessages(strings.NewReader(stream))
	if err == nil || !strings.Contains(err.Error(), "pull access denied") || !strings.Contains(err.Error(), "Step 1/2") {
		t.Fatalf("readMessages = %v, want the error with the step before it", err)
	}
	if err := readMessages(strings.NewReader(`{"status":"sha256:abc"}`)); err != nil {
		t.Fatalf("readMessages(success) = %v", err)
	}
}

func TestDockerfileBases(t *testing.T) {
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	os.WriteFile(df, []byte("# comment\nFROM --platform=linux/amd64 ovslab/busybox AS base\nfrom scratch\nRUN true\n"), 0o644)
	got, err := dockerfileBases(df)
	if err != nil || strings.Join(got, ",") != "ovslab/busybox,scratch" {
		t.Fatalf("dockerfileBases = %v, %v", got, err)
	}
	if _, err := dockerfileBases(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "no Dockerfile") {
		t.Fatalf("missing Dockerfile: %v", err)
	}
}
