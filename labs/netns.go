package labs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// ensureNetns creates the named netns (as `ip netns add` would: a bind
// mount under /run/netns) unless it exists, and brings its loopback up.
func ensureNetns(name string) error {
	if !nsutil.Exists(name) {
		if err := newNamed(name); err != nil {
			return fmt.Errorf("netns %s: %w", name, err)
		}
	}
	h, err := handleAt(name)
	if err != nil {
		return err
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("netns %s: lo: %w", name, err)
	}
	return h.LinkSetUp(lo)
}

// newNamed runs on its own locked thread because netns.NewNamed moves the
// calling thread into the new namespace.
func newNamed(name string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		ns, err := netns.NewNamed(name)
		if err == nil {
			ns.Close()
		}
		if serr := netns.Set(orig); serr == nil {
			runtime.UnlockOSThread()
		}
		errc <- err
	}()
	return <-errc
}

// deleteNetns removes a named netns; a missing one is fine.
func deleteNetns(name string) error {
	if !nsutil.Exists(name) {
		return nil
	}
	err := netns.DeleteNamed(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// A bind mount that is already gone leaves a plain file behind.
		if rerr := os.Remove(nsutil.Path(name)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return fmt.Errorf("netns %s: %w", name, err)
		}
	}
	return nil
}

// handleAt opens a netlink handle in the named netns ("" = current).
func handleAt(name string) (*netlink.Handle, error) {
	if name == "" {
		return netlink.NewHandle()
	}
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("netns %s: %w", name, err)
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("netns %s: %w", name, err)
	}
	return h, nil
}

// netnsFd opens the named netns for use as a link's target namespace.
func netnsFd(name string) (netns.NsHandle, error) {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return 0, fmt.Errorf("netns %s: %w", name, err)
	}
	return ns, nil
}
