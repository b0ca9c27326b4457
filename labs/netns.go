package labs

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// ensureNetns makes the lab's netns name, its loopback up and marked (see
// netnsMark) before the name appears, so a netns of that name without the
// lab's mark was never the lab's: one that exists must carry the mark.
// Creation is exclusive, so of two labs whose names collide (lab "l3"
// host "vxlan-h1", lab "l3-vxlan" host "h1") racing for it, one gets it
// and the other is refused.
func ensureNetns(j *journal, name string) error {
	lab := j.st.Lab
	err := nsutil.NewNamedWith(name, func(n *nsutil.NS) error {
		if err := n.SetAlias("lo", netnsMark(lab, strings.TrimPrefix(name, lab+"-"))); err != nil {
			return fmt.Errorf("mark lo: %w", err)
		}
		return n.LinkUp("lo")
	})
	if errors.Is(err, fs.ErrExist) {
		if !markedFor(name, lab) {
			return notLabsNetns(lab, name)
		}
		return nsutil.InNamed(name, func(n *nsutil.NS) error { return n.LinkUp("lo") })
	}
	if err != nil {
		return fmt.Errorf("netns %s: %w", name, err)
	}
	j.changed(nodeOf(lab, name), "netns "+name, "created")
	j.madeNetns(name)
	return nil
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

// notLabsNetns says that netns name is not lab's and what to do.
func notLabsNetns(lab, name string) error {
	return fmt.Errorf("netns %s exists and was not made by lab %s (another lab, or by hand); remove it or rename the lab or host", name, lab)
}

// claimNetns creates the lab's namespaces, refusing any that exists
// without the lab's mark: netns names are <lab>-<node>, so lab "l3" with
// host "vxlan-host1" and lab "l3-vxlan" with "host1" would share one, and
// a user's own netns may have any name. Each is recorded in the state
// before it is made, so an interrupted up is undone; down deletes only
// those that still carry the mark.
func claimNetns(j *journal, names []string) error {
	if err := checkNetnsFree(j.st.Lab, names); err != nil {
		return err
	}
	for _, n := range names {
		if err := j.claimNetns(n); err != nil {
			return err
		}
		if err := ensureNetns(j, n); err != nil {
			return err
		}
	}
	return nil
}

// checkNetnsFree refuses names that exist as a netns without lab's mark
// (a netns marked for the lab is adopted, e.g. after its state was lost;
// a record in the state proves nothing: another lab may hold the name).
func checkNetnsFree(lab string, names []string) error {
	var errs []error
	for _, n := range names {
		if nsutil.Exists(n) && !markedFor(n, lab) {
			errs = append(errs, notLabsNetns(lab, n))
		}
	}
	return errors.Join(errs...)
}

// releaseNetns deletes a namespace the lab recorded, if it still carries
// the lab's mark, and forgets it. One without the mark is not the lab's,
// whatever the state says, and is left alone.
func releaseNetns(j *journal, name string) error {
	if !j.ownsNetns(name) {
		return nil
	}
	if err := deleteMarked(j.st.Lab, name); err != nil {
		return err
	}
	return j.forgetNetns(name)
}

// deleteMarked deletes netns name if it carries lab's mark, read just
// before; any other is left alone.
func deleteMarked(lab, name string) error {
	if !markedFor(name, lab) {
		return nil
	}
	return nsutil.DeleteNamed(name)
}
