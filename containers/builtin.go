package containers

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/docker/docker/api/types/image"
)

// BusyboxPath is the busybox binary BuiltinImage is made from. It must be
// statically linked (Debian's busybox-static) because the image holds no
// libc.
var BusyboxPath = "/bin/busybox"

// builtinChanges are applied on import. The default command keeps a lab
// container alive with nothing to do, which is what a container whose
// topology entry gives no command wants; sh would exit at once with no
// stdin.
var builtinChanges = []string{
	"ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	`CMD ["sleep", "infinity"]`,
}

// buildBuiltin imports a busybox rootfs made in memory as image.
func (c *Client) buildBuiltin(ctx context.Context, ref string) error {
	rootfs, err := busyboxRootfs(BusyboxPath)
	if err != nil {
		return fmt.Errorf("image %q: %w", ref, err)
	}
	rc, err := c.api.ImageImport(ctx,
		image.ImportSource{Source: bytes.NewReader(rootfs), SourceName: "-"},
		ref,
		image.ImportOptions{Message: "ovslab built-in image from " + BusyboxPath, Changes: builtinChanges})
	if err != nil {
		return fmt.Errorf("import image %q: %w", ref, err)
	}
	defer rc.Close()
	if err := readMessages(rc); err != nil {
		return fmt.Errorf("import image %q: %w", ref, err)
	}
	return c.mustExist(ctx, ref)
}

// busyboxRootfs returns a tar of a minimal root filesystem: busybox, a
// symlink per applet at the path busybox itself reports, and the few files
// tools expect (/etc/passwd for `id`/`ps`, /tmp).
func busyboxRootfs(bin string) ([]byte, error) {
	if err := checkStatic(bin); err != nil {
		return nil, err
	}
	out, err := exec.Command(bin, "--list-full").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --list-full: %w", bin, err)
	}
	body, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	// A fixed time keeps the layer identical from one machine to the next.
	mtime := time.Unix(0, 0)
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: mtime})
	}
	file := func(name string, mode int64, data []byte) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	steps := []func() error{
		func() error { return dir("bin", 0o755) },
		func() error { return dir("sbin", 0o755) },
		func() error { return dir("usr", 0o755) },
		func() error { return dir("usr/bin", 0o755) },
		func() error { return dir("usr/sbin", 0o755) },
		func() error { return dir("etc", 0o755) },
		func() error { return dir("root", 0o700) },
		func() error { return dir("tmp", 0o1777) },
		func() error { return file("bin/busybox", 0o755, body) },
		func() error {
			return file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
		},
		func() error { return file("etc/group", 0o644, []byte("root:x:0:\nnogroup:x:65534:\n")) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	seen := map[string]bool{"bin/busybox": true}
	for _, line := range strings.Split(string(out), "\n") {
		name := strings.TrimPrefix(strings.TrimSpace(line), "/")
		// Applets outside the directories made above would need their
		// parents; busybox only uses these four.
		if name == "" || seen[name] || !knownDir(path.Dir(name)) {
			continue
		}
		seen[name] = true
		hdr := &tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: "/bin/busybox", Mode: 0o777, ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func knownDir(d string) bool {
	return d == "bin" || d == "sbin" || d == "usr/bin" || d == "usr/sbin"
}

// checkStatic refuses a dynamically linked busybox up front: imported into
// an image without libc it would fail every exec with a confusing
// "no such file or directory".
func checkStatic(bin string) error {
	f, err := elf.Open(bin)
	if err != nil {
		return fmt.Errorf("busybox at %s: %w; install busybox-static", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("busybox at %s is dynamically linked and cannot run in an empty image; install busybox-static", bin)
		}
	}
	return nil
}
