package labs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"slices"

	"github.com/ovslab/ovslab/internal/nsutil"
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
	hns, err := nsutil.OpenNamed(name)
	if err != nil {
		return err
	}
	defer hns.Close()
	h := hns.Handle
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

// claimNetns creates the lab's namespaces, refusing any that exists but
// was not made by this lab: netns names are <lab>-<node>, so lab "l3" with
// host "vxlan-host1" and lab "l3-vxlan" with "host1" would share one, and
// a user's own netns may have any name. Each is recorded in the state
// before it is made, so `down` removes exactly what this lab made.
func claimNetns(st *State, names []string) error {
	if err := checkNetnsFree(st, names); err != nil {
		return err
	}
	for _, n := range names {
		if !slices.Contains(st.Netns, n) {
			st.Netns = append(st.Netns, n)
			if err := st.Save(); err != nil {
				return err
			}
		}
		if err := ensureNetns(n); err != nil {
			return err
		}
	}
	return nil
}

// checkNetnsFree refuses names that exist as a netns this lab did not make.
func checkNetnsFree(st *State, names []string) error {
	var errs []error
	for _, n := range names {
		if nsutil.Exists(n) && !slices.Contains(st.Netns, n) {
			errs = append(errs, fmt.Errorf("netns %s exists and was not made by lab %s (another lab, or by hand); remove it or rename the lab or host", n, st.Lab))
		}
	}
	return errors.Join(errs...)
}

// releaseNetns deletes a namespace the lab made and forgets it.
func releaseNetns(st *State, name string) error {
	if !slices.Contains(st.Netns, name) {
		return nil
	}
	if err := deleteNetns(name); err != nil {
		return err
	}
	st.Netns = slices.DeleteFunc(st.Netns, func(n string) bool { return n == name })
	return st.Save()
}
