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

	"github.com/ovslab/ovslab/internal/testenv"
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

func TestRootDockerBuiltinImage(t *testing.T) {
	c, ctx := newClient(t)
	// The real tag: present afterwards, and left for the lab (see ensureBuiltin).
	if err := c.EnsureImage(ctx, BuiltinImage, ""); err != nil {
		t.Fatal(err)
	}
	if !dockerExists("image", BuiltinImage) {
		t.Fatalf("docker image inspect %s fails after EnsureImage", BuiltinImage)
	}
	if err := c.EnsureImage(ctx, BuiltinImage+":latest", ""); err != nil {
		t.Fatalf("second EnsureImage: %v", err)
	}

	// The build path itself, under a test tag we can remove again: made
	// from the local busybox only, so it works with no registry.
	tag := unique("bb") + ":test"
	removeImageAtEnd(t, c, tag)
	if err := c.buildBuiltin(ctx, tag); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(testenv.Run(t, "docker", "image", "inspect", "-f", "{{json .Config.Cmd}}", tag)); got != `["sleep","infinity"]` {
		t.Errorf("default command %s, want sleep infinity", got)
	}

	s := Spec{Name: unique("img"), Image: tag, Command: []string{"sleep", "infinity"}, Labels: map[string]string{testLabel: unique("lab")}}
	removeAtEnd(t, c, s.Name)
	if _, _, err := c.Ensure(ctx, s, testLabel); err != nil {
		t.Fatal(err)
	}
	if out := execOut(t, c, ctx, s.Name, "ping", "-c", "1", "-W", "2", "127.0.0.1"); !strings.Contains(out, "1 packets received") {
		t.Errorf("ping in the built-in image:\n%s", out)
	}
	if out := execOut(t, c, ctx, s.Name, "id"); !strings.Contains(out, "uid=0(root)") {
		t.Errorf("id: %s (want /etc/passwd to name root)", out)
	}
}

func TestRootDockerBuildContext(t *testing.T) {
	c, ctx := newClient(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM "+BuiltinImage+"\nCOPY hello /hello\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "hello"), []byte("hello from the build context\n"), 0o644)
	tag := unique("built") + ":test"
	removeImageAtEnd(t, c, tag)
	if err := c.EnsureImage(ctx, tag, dir); err != nil {
		t.Fatal(err)
	}
	if !dockerExists("image", tag) {
		t.Fatalf("docker image inspect %s fails after the build", tag)
	}
	s := Spec{Name: unique("built"), Image: tag, Labels: map[string]string{testLabel: unique("lab")}}
	removeAtEnd(t, c, s.Name)
	// No Command: the default inherited from the built-in image keeps it up.
	if _, _, err := c.Ensure(ctx, s, testLabel); err != nil {
		t.Fatal(err)
	}
	if out := execOut(t, c, ctx, s.Name, "cat", "/hello"); out != "hello from the build context\n" {
		t.Errorf("cat /hello = %q", out)
	}

	t.Run("broken Dockerfile reports the builder's error", func(t *testing.T) {
		bad := t.TempDir()
		os.WriteFile(filepath.Join(bad, "Dockerfile"), []byte("FROM "+BuiltinImage+"\nCOPY missing /missing\n"), 0o644)
		tag := unique("bad") + ":test"
		removeImageAtEnd(t, c, tag)
		err := c.EnsureImage(ctx, tag, bad)
		if err == nil || !strings.Contains(err.Error(), "missing") {
			t.Fatalf("EnsureImage(bad context) = %v, want the COPY failure", err)
		}
	})
}

func TestRootDockerMissingImage(t *testing.T) {
	c, ctx := newClient(t)
	err := c.EnsureImage(ctx, unique("nosuch")+":test", "")
	if !errors.Is(err, ErrNoImage) {
		t.Fatalf("EnsureImage(missing) = %v, want ErrNoImage", err)
	}
	for _, want := range []string{"is not on this machine", "no build: context", "no registry"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
