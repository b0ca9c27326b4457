package containers

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
)

// BuiltinImage is the image every lab can use without a registry: the
// machine's busybox-static with its applets, imported locally.
const BuiltinImage = "ovslab/busybox"

// ErrNoImage is wrapped by EnsureImage when an image is neither on the
// machine nor buildable from what the caller gave.
var ErrNoImage = errors.New("image not available")

// EnsureImage makes sure image exists locally. An image already present is
// left alone, even if buildDir changed: rebuilding on every `up` would make
// every container look changed. A missing BuiltinImage is made from the
// machine's busybox; any other missing image is built from buildDir (a
// Dockerfile context) when given. There is no registry to pull from.
func (c *Client) EnsureImage(ctx context.Context, image, buildDir string) error {
	ok, err := c.imageExists(ctx, image)
	if err != nil || ok {
		return err
	}
	switch {
	case isBuiltin(image):
		return c.buildBuiltin(ctx, image)
	case buildDir != "":
		return c.buildDir(ctx, image, buildDir)
	default:
		return fmt.Errorf("image %q is not on this machine and no build: context is given; there is no registry here, "+
			"so give the container a build: directory with a Dockerfile, `docker load` the image, or use %q: %w",
			image, BuiltinImage, ErrNoImage)
	}
}

// RemoveImage removes an image by name or ID; not found is success. It
// fails while containers still use the image.
func (c *Client) RemoveImage(ctx context.Context, image string) error {
	_, err := c.api.ImageRemove(ctx, image, imageRemoveOptions())
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("remove image %q: %w", image, err)
	}
	return nil
}

func imageRemoveOptions() image.RemoveOptions {
	// PruneChildren drops the untagged layers a build leaves behind.
	return image.RemoveOptions{PruneChildren: true}
}

func (c *Client) imageExists(ctx context.Context, image string) (bool, error) {
	_, err := c.api.ImageInspect(ctx, image)
	switch {
	case err == nil:
		return true, nil
	case cerrdefs.IsNotFound(err):
		return false, nil
	default:
		return false, fmt.Errorf("inspect image %q: %w", image, err)
	}
}

func isBuiltin(image string) bool {
	return image == BuiltinImage || image == BuiltinImage+":latest"
}

// buildDir builds image from the Dockerfile context dir with the classic
// builder: BuildKit would want to resolve the base image in a registry.
func (c *Client) buildDir(ctx context.Context, image, dir string) error {
	df := filepath.Join(dir, "Dockerfile")
	bases, err := dockerfileBases(df)
	if err != nil {
		return fmt.Errorf("image %q: build context %s: %w", image, dir, err)
	}
	// A lab image is usually FROM the built-in one; with no registry the
	// builder cannot pull it, so make it first.
	for _, b := range bases {
		if isBuiltin(b) {
			if err := c.EnsureImage(ctx, b, ""); err != nil {
				return err
			}
		}
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarDir(dir, pw)) }()
	defer pr.Close()
	resp, err := c.api.ImageBuild(ctx, pr, build.ImageBuildOptions{
		Tags:        []string{image},
		Dockerfile:  "Dockerfile",
		Version:     build.BuilderV1,
		Remove:      true,
		ForceRemove: true,
	})
	if err != nil {
		return fmt.Errorf("build image %q from %s: %w", image, dir, err)
	}
	defer resp.Body.Close()
	if err := readMessages(resp.Body); err != nil {
		return fmt.Errorf("build image %q from %s: %w", image, dir, err)
	}
	return c.mustExist(ctx, image)
}

// dockerfileBases lists the images named by FROM lines, so EnsureImage can
// provide a local base before the builder goes looking for a registry. The
// file is read like the rest of the context (openRegular).
func dockerfileBases(path string) ([]string, error) {
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := openRegular(root, filepath.Base(path))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no Dockerfile in it")
		}
		return nil, err
	}
	if f == nil {
		return nil, errors.New("its Dockerfile is not a regular file")
	}
	defer f.Close()
	var bases []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || !strings.EqualFold(fields[0], "FROM") {
			continue
		}
		for _, f := range fields[1:] {
			if !strings.HasPrefix(f, "--") { // skip --platform=...
				bases = append(bases, f)
				break
			}
		}
	}
	return bases, sc.Err()
}

// mustExist guards against a build or import that reported success in a
// way readMessages did not recognise.
func (c *Client) mustExist(ctx context.Context, image string) error {
	ok, err := c.imageExists(ctx, image)
	if err == nil && !ok {
		err = fmt.Errorf("image %q: daemon reported success but the image does not exist", image)
	}
	return err
}

// jsonMessage is the part of Docker's progress stream we need. ImageBuild
// and ImageImport return a nil error even when the work failed: the failure
// is only in this stream.
type jsonMessage struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// readMessages drains a progress stream and returns its first error, with
// the last lines of build output for context.
func readMessages(r io.Reader) error {
	dec := json.NewDecoder(r)
	var tail []string
	for {
		var m jsonMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("reading daemon progress: %w", err)
		}
		msg := m.Error
		if msg == "" && m.ErrorDetail != nil {
			msg = m.ErrorDetail.Message
		}
		if msg != "" {
			if len(tail) > 0 {
				return fmt.Errorf("%s (after: %s)", msg, strings.Join(tail, " | "))
			}
			return errors.New(msg)
		}
		if line := strings.TrimSpace(m.Stream); line != "" {
			tail = append(tail, line)
			if len(tail) > 3 {
				tail = tail[1:]
			}
		}
	}
}

// tarDir writes the build context dir as a tar stream. Owners are zeroed
// so the image does not depend on who checked the files out; sockets and
// devices are skipped since a build context cannot use them.
//
// Everything is read through an os.Root of dir: whoever can write into the
// context (a student's lab directory) can put symlinks there, or swap a
// file or directory for one while we read, but nothing resolves outside
// dir, so no file only root can read ends up in the image. A symlink is
// stored as a symlink, never followed; a regular file's header is made
// from the file as opened, not as listed.
func tarDir(dir string, w io.Writer) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	tw := tar.NewWriter(w)
	err = fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil || rel == "." {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			link, err := root.Readlink(rel)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			return writeHeader(tw, info, rel, link)
		case d.IsDir():
			info, err := d.Info()
			if err != nil {
				return err
			}
			return writeHeader(tw, info, rel+"/", "")
		case d.Type().IsRegular():
			return tarFile(tw, root, rel)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// tarFile adds one regular file, as it is once opened.
func tarFile(tw *tar.Writer, root *os.Root, rel string) error {
	f, err := openRegular(root, rel)
	if err != nil || f == nil {
		return err // nil: replaced by something else since the listing, left out
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := writeHeader(tw, info, rel, ""); err != nil {
		return err
	}
	_, err = io.CopyN(tw, f, info.Size())
	return err
}

// openRegular opens a file of the context, or returns nil if it is not a
// regular file. O_NONBLOCK: a FIFO put there must not make the open wait
// for a writer (it is not read anyway); a regular file reads the same.
func openRegular(root *os.Root, rel string) (*os.File, error) {
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		f.Close()
		return nil, err
	}
	return f, nil
}

func writeHeader(tw *tar.Writer, info fs.FileInfo, name, link string) error {
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = filepath.ToSlash(name)
	hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	return tw.WriteHeader(hdr)
}

// ImageHasCommand reports whether image has a default command of its own
// (CMD or ENTRYPOINT): without one, and without a command given, Docker
// refuses to create the container.
func (c *Client) ImageHasCommand(ctx context.Context, image string) (bool, error) {
	img, err := c.api.ImageInspect(ctx, image)
	if err != nil {
		return false, fmt.Errorf("inspect image %q: %w", image, err)
	}
	cfg := img.Config
	return cfg != nil && (len(cfg.Cmd) > 0 || len(cfg.Entrypoint) > 0), nil
}
