package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/ovs"
)

// Down removes everything the lab made on this machine, and nothing else,
// restoring what `up` changed. It works from the recorded state, so it
// also cleans up after a half-finished `up`; without a usable state (a
// reboot, a cleaned /run, a state file cut short) it finds the lab by its
// marks. A lab that is not here is not an error: down is idempotent.
func Down(ctx context.Context, lab string, o DownOptions) (err error) {
	dir, err := Dir(lab)
	if err != nil {
		return Usagef("%v", err)
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		marked, err := markedAnywhere(ctx, lab, o)
		// A user who is not root may ask nothing, and can remove
		// nothing either: the answer from /run/ovslab stands.
		if err != nil && os.Geteuid() == 0 {
			return fmt.Errorf("lab %s has no state here, and whether anything carries its mark cannot be told: %w", lab, err)
		}
		if !marked {
			o.notef("no lab %s on this machine: nothing to remove", lab)
			return nil
		}
	}
	lock, err := acquire(ctx, lab, o.NoWait, func() {
		o.Progressf("waiting for another ovslab up/down of %s", lab)
	})
	if err != nil {
		return err
	}
	defer lock.release()
	lc := beginDown(lab)
	defer func() { lc.end(err) }()
	o.Reporter = lc.steps(o.Reporter)
	st, err := LoadState(lab)
	switch {
	case errors.Is(err, errNoLab) || errors.Is(err, errBadState):
		err = downByMarks(ctx, lab, dir, err, o)
	case err == nil:
		err = downState(ctx, st, o)
	}
	if err == nil {
		// The machine's record names the lab if its up raised them, its
		// state lost or not.
		err = withMachineLock(ctx, func() error { return restoreNeighLimits(lab) })
	}
	if err != nil && st != nil {
		return fmt.Errorf("%w (the state in %s is kept: run ovslab down %s again)", err, dir, lab)
	}
	if err != nil {
		return err
	}
	return lc.removeDir(dir)
}

// downState removes what st records, keeping every error.
func downState(ctx context.Context, st *State, o DownOptions) error {
	if err := stopFlappers(st.Faults); err != nil {
		return err
	}
	// Without Docker the rest still goes; the containers wait for the
	// next down, which the kept state makes possible.
	dc, derr := dockerForState(ctx, st)
	if dc != nil {
		defer dc.Close()
	}
	var err error
	if st.Mode == ModeEmulated {
		err = downEmulated(ctx, newJournal(st), dc, o)
	} else {
		err = downReal(ctx, st, dc, o)
	}
	return errors.Join(derr, err)
}

func downEmulated(ctx context.Context, j *journal, dc *containers.Client, o DownOptions) error {
	st := j.st
	// Hosts first, independent and taken down at once, with every error
	// kept: a host's netns goes with all its veths in one batch (and
	// their container ends with them), where a container removed first
	// takes its veths one at a time, each a port vswitchd then drops.
	errs := []error{each(slices.Clone(st.Hosts), len(st.Hosts), func(h string) error {
		o.Progressf("%s: OVS daemons, namespace", h)
		return removeEmulatedHost(j, h)
	})}
	// Every container of the lab in one sweep, also those of hosts an
	// interrupted up never recorded: they all carry the label.
	o.Progressf("containers")
	errs = append(errs, removeContainers(ctx, dc, map[string]string{labelLab: st.Lab}))
	for _, n := range slices.Clone(st.Netns) {
		errs = append(errs, releaseNetns(j, n))
	}
	return errors.Join(errs...)
}

// downEmulatedHost removes one emulated host: its containers, its OVS
// daemons and run dir, and its netns (which takes its veths with it).
func downEmulatedHost(ctx context.Context, j *journal, host string, dc *containers.Client) error {
	return errors.Join(
		removeContainers(ctx, dc, map[string]string{labelLab: j.st.Lab, labelHost: host}),
		removeEmulatedHost(j, host),
	)
}

// removeEmulatedHost stops the host's OVS daemons and deletes its run dir
// and netns, which takes the host ends of its containers' veths with it.
func removeEmulatedHost(j *journal, host string) error {
	loc := j.st.hostLocation(host, "")
	return errors.Join(
		stopNetnsDaemons(j.st.Lab, []string{loc.netns}),
		releaseNetns(j, loc.netns),
		os.RemoveAll(loc.runDir),
	)
}

func downReal(ctx context.Context, st *State, dc *containers.Client, o DownOptions) error {
	var errs []error
	for _, h := range st.Hosts {
		o.Progressf("%s: containers, OVS rows, NAT", h)
		// A container's veth dies with its netns; no need to unplumb.
		errs = append(errs, removeContainers(ctx, dc, map[string]string{labelLab: st.Lab, labelHost: h}))
		r := st.Restore[h]
		if r != nil && r.Underlay != nil {
			// Back on the NIC before br-phy goes, so the host keeps its routes.
			errs = append(errs, restoreUnderlay("", r.Underlay))
		}
		oc, err := ovs.Connect(ctx, st.hostLocation(h, o.OVSDB).ovsdb)
		if err == nil {
			errs = append(errs, oc.DeleteLab(ctx, st.Lab))
			settle(ctx, oc)
			oc.Close()
		} else {
			errs = append(errs, err)
		}
		errs = append(errs, nat.Delete("", st.Lab))
		if r != nil {
			errs = append(errs, releaseHost(ctx, "", st, r))
		}
	}
	return errors.Join(errs...)
}

// releaseHost puts back what r recorded of the real host in the netns
// at netnsPath, except the machine-wide settings another real-host lab
// still needs, and lets go of those in st: under the machine lock, as
// two labs' downs may overlap. Each removes its state only after it
// released the lock; had neither let go under it, each would take the
// other for still up, and neither would put back the machine's own.
func releaseHost(ctx context.Context, netnsPath string, st *State, r *hostRestore) error {
	return withMachineLock(ctx, func() error {
		if err := restoreHost(netnsPath, r, othersNeed(st.Lab)); err != nil {
			return err
		}
		r.IPForward, r.MTU = "", nil
		return st.Save()
	})
}

// needs is what other real-host labs on this machine changed, with the
// original values they recorded.
type needs struct {
	ipForward string         // original ip_forward, "" if no other lab set it
	mtu       map[string]int // NIC → original MTU
}

// othersNeed collects what the other real-host labs here changed: their
// down restores it, not ours, or ours would pull the MTU from under
// them; and an up records their originals, not the values they set.
func othersNeed(lab string) needs {
	n := needs{mtu: map[string]int{}}
	names, _ := Labs()
	for _, other := range names {
		if other == lab {
			continue
		}
		st, err := loadNeeds(other)
		if err != nil {
			continue
		}
		if st.Mode != ModeReal {
			continue
		}
		for _, r := range st.Restore {
			if r.IPForward != "" {
				n.ipForward = r.IPForward
			}
			for nic, mtu := range r.MTU {
				n.mtu[nic] = mtu
			}
		}
	}
	return n
}

// sharedView is the part of a lab's state othersNeed reads: decoding it
// skips the rest (the topology's text, above all), as othersNeed runs
// for every lab on the machine at each up, a class's copies included.
type sharedView struct {
	Mode    string                  `json:"mode"`
	Restore map[string]*hostRestore `json:"restore,omitempty"`
}

// loadNeeds reads what othersNeed wants of lab's state.
func loadNeeds(lab string) (*sharedView, error) {
	var v sharedView
	if err := readState(lab, &v); err != nil {
		return nil, err
	}
	return &v, nil
}

// restoreHost puts back what r recorded in the netns at netnsPath (""
// = this process's, a real host's own), except what others still need.
func restoreHost(netnsPath string, r *hostRestore, others needs) error {
	var errs []error
	if r.IPForward != "" && others.ipForward == "" {
		_, err := nat.SetIPForward(netnsPath, r.IPForward == "1")
		errs = append(errs, err)
	}
	for nic, mtu := range r.MTU {
		if _, shared := others.mtu[nic]; shared {
			continue
		}
		n, err := nsutil.Open(netnsPath)
		if err == nil {
			err = n.SetMTUUp(nic, mtu)
			n.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("restore MTU %d of %s: %w", mtu, nic, err))
		}
	}
	for nic, v := range r.ARPIgnore {
		_, err := nsutil.SetSysctl(netnsPath, arpIgnore(nic), v)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// removeContainers removes the containers carrying labels; a nil client
// (Docker unreachable) removes nothing and says nothing: Down reports it.
func removeContainers(ctx context.Context, dc *containers.Client, labels map[string]string) error {
	if dc == nil {
		return nil
	}
	cs, err := dc.List(ctx, labels)
	if err != nil {
		return err
	}
	// dockerd removes several containers at once about as fast as one.
	return each(cs, DefaultJobs(), func(c containers.Info) error { return dc.Remove(ctx, c.ID) })
}

// settle waits, briefly, for vswitchd to act on what was just deleted
// before the NIC's MTU is put back: a vswitchd still applying the lab's
// mtu_request (say, just restarted) would otherwise raise it again after
// down restored it. A vswitchd that is not running re-applies nothing, so
// not hearing from it is fine.
func settle(ctx context.Context, oc *ovs.Client) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_ = oc.Sync(ctx)
}

// withMachineLock runs fn, which reads what other labs recorded and
// restores what they share, under the machine's lock (see lockMachine).
func withMachineLock(ctx context.Context, fn func() error) error {
	ml, err := lockMachine(ctx)
	if err != nil {
		return err
	}
	defer ml.release()
	return fn()
}
