package nsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NetnsDir is where `ip netns` keeps named namespaces.
const NetnsDir = "/run/netns"

// Path returns the bind-mount path of the named netns, or "" for "" (the
// caller's own netns).
func Path(name string) string {
	if name == "" {
		return ""
	}
	return filepath.Join(NetnsDir, name)
}

// Do runs fn on a fresh OS thread switched into the netns at path. An empty
// path runs fn in the caller's netns.
func Do(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	return onOwnThread(func() error {
		target, err := netns.GetFromPath(path)
		if err != nil {
			return fmt.Errorf("netns %s: %w", path, err)
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			return fmt.Errorf("enter netns %s: %w", path, err)
		}
		return fn()
	})
}

// NewNamed creates the named netns as `ip netns add` does: a bind mount
// under NetnsDir. netns.NewNamed moves its thread into the new netns,
// hence a thread of its own.
func NewNamed(name string) error {
	if err := shareNetnsDir(); err != nil {
		return err
	}
	return onOwnThread(func() error {
		ns, err := netns.NewNamed(name)
		if err == nil {
			ns.Close()
		}
		return err
	})
}

// NewNamedWith creates the named netns as NewNamed does, but runs init
// inside it before the name appears under NetnsDir, and fails with
// fs.ErrExist if the name is taken: whoever finds the name finds it
// initialised (marked, say), and two creators never share one.
func NewNamedWith(name string, init func(*NS) error) error {
	if err := shareNetnsDir(); err != nil {
		return err
	}
	return onOwnThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare: %w", err)
		}
		n, err := Open("")
		if err != nil {
			return err
		}
		err = init(n)
		n.Close()
		if err != nil {
			return err
		}
		p := Path(name)
		f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
		if err != nil {
			return err
		}
		f.Close()
		if err := unix.Mount("/proc/thread-self/ns/net", p, "none", unix.MS_BIND, ""); err != nil {
			os.Remove(p)
			return fmt.Errorf("bind mount %s: %w", p, err)
		}
		return nil
	})
}

// shareNetnsDir makes NetnsDir a mount point of its own with shared
// propagation, exactly as `ip netns add` does before it adds a name: then
// a later `ip netns add` (by anyone) finds it ready and mounts nothing
// over it, and a name deleted in one mount namespace goes in all of them.
// Without it the first `ip netns add` to come along bind-mounts NetnsDir
// over itself, and ovslab's namespaces then live under two mounts.
func shareNetnsDir() error {
	if err := os.MkdirAll(NetnsDir, 0o755); err != nil {
		return err
	}
	made := false
	for {
		err := unix.Mount("", NetnsDir, "none", unix.MS_SHARED|unix.MS_REC, "")
		if err == nil {
			return nil
		}
		// EINVAL: not a mount point yet; make it one, once.
		if !errors.Is(err, unix.EINVAL) || made {
			return fmt.Errorf("mount --make-shared %s: %w", NetnsDir, err)
		}
		if err := unix.Mount(NetnsDir, NetnsDir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("mount --bind %s %s: %w", NetnsDir, NetnsDir, err)
		}
		made = true
	}
}

// DeleteNamed removes the named netns; a missing one is fine.
func DeleteNamed(name string) error {
	if !Exists(name) {
		return nil
	}
	err := netns.DeleteNamed(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A bind mount that is already gone leaves a plain file behind.
		if rerr := os.Remove(Path(name)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("netns %s: %w", name, err)
		}
	}
	return nil
}

// onOwnThread runs fn on a fresh locked OS thread that fn may switch into
// another netns, and switches it back afterwards. If it cannot be switched
// back it stays locked, so the Go runtime discards it rather than reusing
// a thread that sits in the wrong netns.
func onOwnThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current netns: %w", err)
			return
		}
		defer orig.Close()
		ferr := fn()
		if err := netns.Set(orig); err == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// Exists reports whether the named netns exists.
func Exists(name string) bool {
	_, err := os.Stat(Path(name))
	return err == nil
}

// ownNetns is the netns this process started in, opened while package
// initialisation runs, before any code could have moved a thread.
var ownNetns, _ = netns.Get()

// Own is the path of the netns this process started in ("" if it could
// not be opened): Do(Own(), fn) runs fn there whatever netns the calling
// thread is in. Do("") runs fn on the calling thread, and a thread that a
// library failed to move back from a container's netns would read that
// netns's /proc/sys/net instead of the machine's.
func Own() string {
	if !ownNetns.IsOpen() {
		return ""
	}
	return fmt.Sprintf("/proc/self/fd/%d", int(ownNetns))
}
