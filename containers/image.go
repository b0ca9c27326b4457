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
// provide a local base before the builder goes looking for a registry.
func dockerfileBases(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("no Dockerfile in it")
		}
		return nil, err
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
func tarDir(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil || rel == "." {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		var link string
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		case info.Mode().IsRegular(), info.IsDir():
		default:
			return nil
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(rel)
		if info.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
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
