package labs

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// A real host's values from before the lab (the underlay NIC's MTU, and
// ip_forward) are kept twice: in the state, and as notes on the NIC's
// interface row in OVSDB (see ovs.SetInterfaceNote). The state goes with
// /run at a reboot, and vswitchd re-applies mtu_request when it starts, so
// after one the NIC shows the lab's MTU and only OVSDB still knows the
// original. Notes exist where the lab has a br-phy (netdev datapath).
const (
	noteMTU       = "ovslab-mtu-before"
	noteIPForward = "ovslab-ip-forward-before"
	noteARPIgnore = "ovslab-arp-ignore-before"
)

// writeNotes keeps the host's original values in OVSDB. ip_forward is
// noted before applyNAT changes it: the current value then is the original
// unless another lab here changed it first.
func writeNotes(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun) error {
	if run.emulated {
		return nil
	}
	nic, r := run.nic, run.j.restore(p.Host)
	if mtu := r.MTU[nic]; mtu != 0 {
		if err := oc.SetInterfaceNote(ctx, p.Lab, nic, noteMTU, strconv.Itoa(mtu)); err != nil {
			return err
		}
	}
	if v, ok := r.ARPIgnore[nic]; ok {
		if err := oc.SetInterfaceNote(ctx, p.Lab, nic, noteARPIgnore, v); err != nil {
			return err
		}
	}
	if !p.IPForward {
		return nil
	}
	ipf := r.IPForward
	if ipf == "" {
		ipf = othersNeed(p.Lab).ipForward
	}
	if ipf == "" {
		on, err := nat.IPForward(run.netnsPath())
		if err != nil {
			return err
		}
		ipf = map[bool]string{true: "1", false: "0"}[on]
	}
	return oc.SetInterfaceNote(ctx, p.Lab, nic, noteIPForward, ipf)
}

// recallNotes fills in, from OVSDB, the original values the state lacks
// (it was lost), so down restores those and not what the lab set.
func recallNotes(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun, nic string) error {
	if run.emulated {
		return nil
	}
	notes, err := readNotes(ctx, oc, p.Lab, nic)
	if err != nil {
		return err
	}
	return run.j.record(p.Host, func(r *hostRestore) bool {
		changed := false
		if _, ok := r.MTU[nic]; !ok && notes.MTU[nic] != 0 {
			r.MTU[nic], changed = notes.MTU[nic], true
		}
		if r.IPForward == "" && notes.IPForward != "" {
			r.IPForward, changed = notes.IPForward, true
		}
		if _, ok := r.ARPIgnore[nic]; !ok && notes.ARPIgnore[nic] != "" {
			r.ARPIgnore[nic], changed = notes.ARPIgnore[nic], true
		}
		return changed
	})
}

// readNotes returns the noted original values of the host whose underlay
// NIC is nic, as a restore record.
func readNotes(ctx context.Context, oc *ovs.Client, lab, nic string) (*hostRestore, error) {
	r := &hostRestore{MTU: map[string]int{}}
	v, err := oc.InterfaceNote(ctx, lab, nic, noteMTU)
	if err != nil {
		return nil, err
	}
	if v != "" {
		mtu, err := strconv.Atoi(v)
		if err != nil {
			return nil, fmt.Errorf("interface %s: external_ids:%s=%q is not an MTU", nic, noteMTU, v)
		}
		r.MTU[nic] = mtu
	}
	if r.IPForward, err = oc.InterfaceNote(ctx, lab, nic, noteIPForward); err != nil {
		return nil, err
	}
	if r.IPForward != "" && r.IPForward != "0" && r.IPForward != "1" {
		return nil, fmt.Errorf("interface %s: external_ids:%s=%q is not 0 or 1", nic, noteIPForward, r.IPForward)
	}
	v, err = oc.InterfaceNote(ctx, lab, nic, noteARPIgnore)
	if err != nil {
		return nil, err
	}
	if v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 8 {
			return nil, fmt.Errorf("interface %s: external_ids:%s=%q is not an arp_ignore value", nic, noteARPIgnore, v)
		}
		r.ARPIgnore = map[string]string{nic: v}
	}
	return r, nil
}
