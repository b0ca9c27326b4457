package labs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// ensureNetns creates the named netns (as `ip netns add` would: a bind
// mount under /run/netns) unless it exists, and brings its loopback up.
func ensureNetns(j *journal, name string) error {
	if !nsutil.Exists(name) {
		if err := nsutil.NewNamed(name); err != nil {
			return fmt.Errorf("netns %s: %w", name, err)
		}
		j.changed(nodeOf(j.st.Lab, name), "netns "+name, "created")
	}
	return nsutil.InNamed(name, func(n *nsutil.NS) error { return n.LinkUp("lo") })
}

// nodeOf is the host of the lab a netns LAB-NODE belongs to, "" for the
// router and the emulated internet.
func nodeOf(lab, netns string) string {
	switch node := strings.TrimPrefix(netns, lab+"-"); node {
	case routerNode, wanNode:
		return ""
	default:
		return node
	}
}

// deleteNetns removes a named netns; a missing one is fine.
func deleteNetns(name string) error { return nsutil.DeleteNamed(name) }

// claimNetns creates the lab's namespaces, refusing any that exists but
// was not made by this lab: netns names are <lab>-<node>, so lab "l3" with
// host "vxlan-host1" and lab "l3-vxlan" with "host1" would share one, and
// a user's own netns may have any name. Each is recorded in the state
// before it is made, so `down` removes exactly what this lab made, and
// marked (see markNetns), so it is found again without the state.
func claimNetns(j *journal, names []string) error {
	if err := checkNetnsFree(j, names); err != nil {
		return err
	}
	for _, n := range names {
		if err := j.claimNetns(n); err != nil {
			return err
		}
		if err := ensureNetns(j, n); err != nil {
			return err
		}
		if err := markNetns(j.st.Lab, n); err != nil {
			return err
		}
	}
	return nil
}

// checkNetnsFree refuses names that exist as a netns this lab did not
// make: neither recorded in its state nor carrying its mark (a netns
// marked for the lab is adopted, e.g. after its state was lost).
func checkNetnsFree(j *journal, names []string) error {
	var errs []error
	for _, n := range names {
		if nsutil.Exists(n) && !j.ownsNetns(n) && !markedFor(n, j.st.Lab) {
			errs = append(errs, fmt.Errorf("netns %s exists and was not made by lab %s (another lab, or by hand); remove it or rename the lab or host", n, j.st.Lab))
		}
	}
	return errors.Join(errs...)
}

// releaseNetns deletes a namespace the lab made and forgets it.
func releaseNetns(j *journal, name string) error {
	if !j.ownsNetns(name) {
		return nil
	}
	if err := deleteNetns(name); err != nil {
		return err
	}
	return j.forgetNetns(name)
}
