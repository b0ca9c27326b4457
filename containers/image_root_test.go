package containers

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

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
