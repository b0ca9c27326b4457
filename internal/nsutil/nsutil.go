package nsutil

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netns"
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
// path runs fn in the caller's netns. If the thread cannot be switched back
// it is left locked, so the Go runtime discards it rather than reusing a
// thread that sits in the wrong netns.
func Do(path string, fn func() error) error {
	if path == "" {
		return fn()
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- fmt.Errorf("current netns: %w", err)
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			errc <- fmt.Errorf("netns %s: %w", path, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- fmt.Errorf("enter netns %s: %w", path, err)
			return
		}
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
