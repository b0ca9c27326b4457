package labs

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// Preflight runs, on a real host, every check `up` makes before its first
// change, and changes nothing: the host is in the file, its datapath can
// work here, Docker and OVSDB answer, the underlay NIC is found, and no
// bridge, port or container name the lab needs belongs to someone else.
// `up --all` runs it on every host before any host changes, so one broken
// host leaves all of them untouched. All problems are returned at once.
func Preflight(ctx context.Context, src *Source, o UpOptions) error {
	t := src.Topo
	h, err := whichHost(t, o.Host)
	if err != nil {
		return err
	}
	p, err := t.Plan(h)
	if err != nil {
		return err
	}
	st, err := LoadState(t.Name)
	switch {
	case errors.Is(err, errNoLab):
		st = &State{Lab: t.Name, Mode: ModeReal}
	case err != nil:
		return err
	case st.Mode != ModeReal:
		return Usagef("lab %s is up in %s mode on host %s; run ovslab down %s there first", t.Name, st.Mode, h, t.Name)
	}
	var errs []error
	if err := checkDatapath(p); err != nil {
		errs = append(errs, err)
	}
	dc, err := containers.Connect(ctx)
	if err != nil {
		errs = append(errs, fmt.Errorf("host %s: %w", h, err))
	} else {
		defer dc.Close()
		if _, err := checkContainerNames(ctx, dc, t.Name, map[string]*topology.HostPlan{h: p}, nil); err != nil {
			errs = append(errs, err)
		}
	}
	oc, err := ovs.Connect(ctx, st.endpoint(o.OVSDB))
	if err != nil {
		errs = append(errs, fmt.Errorf("host %s: %w", h, err))
		return errors.Join(errs...)
	}
	defer oc.Close()
	ns, err := nsutil.Open("") // a real host: this machine's own netns
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	defer ns.Close()
	run := hostRun{location: st.hostLocation(h, o.OVSDB), docker: dc, j: newJournal(st), progress: o.Progressf, ns: ns}
	nic, err := underlayNIC(p, run)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if dc == nil {
		// Images are Docker's: without it only OVS can be checked.
		if err := oc.Check(ctx, p.Lab, ovsBridges(p, nic)); err != nil {
			errs = append(errs, fmt.Errorf("host %s: %w", h, err))
		}
		return errors.Join(errs...)
	}
	if err := preflight(ctx, oc, p, run, ovsBridges(p, nic)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
