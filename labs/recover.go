package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// downByMarks removes a lab whose state is missing or unreadable (cause)
// from its marks alone: emulated, the netns carrying its mark, the OVS
// daemons running in them, its labelled containers, then the namespaces;
// on a real host, its marked OVSDB rows, labelled containers and commented
// rules, putting back the host's MTU and ip_forward from the notes in
// OVSDB (see notes.go) where there are some. The caller holds the lock
// and removes dir after.
func downByMarks(ctx context.Context, lab, dir string, cause error, o DownOptions) error {
	pr := o.Progressf
	marked, err := markedNetns(lab)
	if err != nil {
		return err
	}
	netns := marked[lab]
	dc, derr := containers.Connect(ctx)
	if dc != nil {
		defer dc.Close()
	}
	var cs []containers.Info
	if dc != nil {
		if cs, err = dc.List(ctx, map[string]string{labelLab: lab}); err != nil {
			return err
		}
	}
	var found int
	var errs []error
	if len(netns) > 0 {
		found = len(netns)
		pr("%s: containers, OVS daemons and namespaces %s", lab, strings.Join(netns, ", "))
		errs = append(errs, removeContainers(ctx, dc, map[string]string{labelLab: lab}), stopNetnsDaemons(lab, netns))
		for _, n := range netns {
			errs = append(errs, deleteMarked(lab, n))
		}
	} else {
		pr("%s: containers, OVS rows, NAT", lab)
		var n int
		n, err = downRealByMarks(ctx, lab, o)
		found = n + len(cs)
		errs = append(errs, removeContainers(ctx, dc, map[string]string{labelLab: lab}), err)
	}
	if err := errors.Join(append(errs, derr)...); err != nil {
		return fmt.Errorf("lab %s has no usable state and removing it by its marks failed: %w; run ovslab down %s again", lab, err, lab)
	}
	why := "no state in " + dir + " (a reboot, or /run cleaned)"
	if errors.Is(cause, errBadState) {
		why = strings.TrimPrefix(cause.Error(), "lab "+lab+": ")
	}
	switch {
	case found > 0:
		o.notef("lab %s: %s; removed by its marks", lab, why)
	case errors.Is(cause, errNoLab):
		o.notef("no lab %s on this machine: nothing to remove", lab)
	default:
		o.notef("lab %s: %s; nothing is marked as the lab's, so nothing else was removed", lab, why)
	}
	return nil
}

// stopNetnsDaemons stops the OVS daemons of the lab's namespaces: those
// its run dirs' pidfiles name, then any others running inside those of
// them that carry the lab's mark.
func stopNetnsDaemons(lab string, netns []string) error {
	var errs []error
	for _, n := range netns {
		errs = append(errs, ovs.StopDaemons(HostRunDir(lab, strings.TrimPrefix(n, lab+"-"))))
	}
	homes, release := markedHomes(lab, netns)
	defer release()
	return errors.Join(append(errs, ovs.StopStrays(homes))...)
}

// markedHomes opens those of the lab's namespaces that carry its mark and
// returns the daemon homes in them, each netns named by the descriptor its
// mark was read through, so StopStrays stops daemons only in a namespace
// checked to be the lab's, even if the name changed hands meanwhile. A
// netns without the mark (another lab's of the same name, or gone) is
// left out. release closes the descriptors.
func markedHomes(lab string, netns []string) (homes []ovs.DaemonHome, release func()) {
	var open []*nsutil.NS
	for _, n := range netns {
		ns, err := nsutil.OpenNamed(n)
		if err != nil {
			continue
		}
		if l, err := ns.Handle.LinkByName("lo"); err != nil || l.Attrs().Alias != netnsMark(lab, strings.TrimPrefix(n, lab+"-")) {
			ns.Close()
			continue
		}
		open = append(open, ns)
		homes = append(homes, ovs.DaemonHome{
			RunDir: HostRunDir(lab, strings.TrimPrefix(n, lab+"-")),
			Netns:  fmt.Sprintf("/proc/self/fd/%d", ns.Fd()),
		})
	}
	return homes, func() {
		for _, ns := range open {
			ns.Close()
		}
	}
}

// downRealByMarks removes the lab's rows from this host's OVSDB (putting
// an underlay address that sits on the lab's br-phy back on its NIC
// first) and its iptables rules. It returns how many marked objects it
// found. An OVSDB that does not answer is an error only when --ovsdb named
// it: a machine without OVS of its own (emulated labs only) has no rows.
func downRealByMarks(ctx context.Context, lab string, o DownOptions) (int, error) {
	found := 0
	rules, err := nat.List("", lab)
	if err != nil {
		return 0, err
	}
	found += len(rules)
	var errs []error
	oc, err := ovs.Connect(ctx, ovsdbEndpoint(o.OVSDB))
	if err != nil {
		if o.OVSDB != "" {
			return found, err
		}
		o.Progressf("%s: no OVS rows looked for: %v", lab, err)
	} else {
		defer oc.Close()
		bridges, err := oc.Status(ctx, lab)
		if err != nil {
			return found, err
		}
		found += len(bridges)
		if m, err := movedUnderlay(bridges, ""); err != nil {
			errs = append(errs, err)
		} else if m != nil {
			errs = append(errs, restoreUnderlay("", m))
		}
		var before *hostRestore
		if nic := phyNIC(bridges); nic != "" {
			before, err = readNotes(ctx, oc, lab, nic)
			errs = append(errs, err)
		}
		errs = append(errs, oc.DeleteLab(ctx, lab))
		settle(ctx, oc)
		if before != nil {
			errs = append(errs, withMachineLock(ctx, func() error { return restoreHost("", before, othersNeed(lab)) }))
		}
	}
	errs = append(errs, nat.Delete("", lab))
	return found, errors.Join(errs...)
}

// phyNIC is the NIC under the lab's br-phy (its one system port), "" if
// the lab has no br-phy.
func phyNIC(bridges []ovs.BridgeStatus) string {
	for _, b := range bridges {
		if b.Name != topology.PhysBridge || !b.Owned {
			continue
		}
		for _, p := range b.Ports {
			if !p.Local && p.Type == "" {
				return p.Name
			}
		}
	}
	return ""
}

// adoptUnderlay is movedUnderlay for a host whose OVSDB oc holds.
func adoptUnderlay(ctx context.Context, oc *ovs.Client, lab, ns string) (*underlayMove, error) {
	bridges, err := oc.Status(ctx, lab)
	if err != nil {
		return nil, err
	}
	return movedUnderlay(bridges, ns)
}

// movedUnderlay reads, from the host itself, what `up` moved onto the
// lab's br-phy: its address and routes, and the NIC under it. nil when
// the lab has no br-phy here or br-phy holds no address (after a reboot
// the NIC has its own again).
func movedUnderlay(bridges []ovs.BridgeStatus, ns string) (*underlayMove, error) {
	nic := phyNIC(bridges)
	if nic == "" {
		return nil, nil
	}
	var m *underlayMove
	err := nsutil.InNamed(ns, func(n *nsutil.NS) error {
		addrs, err := n.Addrs(topology.PhysBridge)
		if errors.Is(err, nsutil.ErrNoLink) || (err == nil && len(addrs) == 0) {
			return nil
		}
		if err != nil {
			return err
		}
		routes, err := n.Routes(topology.PhysBridge)
		if err != nil {
			return err
		}
		m = &underlayMove{NIC: nic, Address: addrs[0], Routes: routes}
		return nil
	})
	return m, err
}

// stopStrayDaemons stops OVS daemons running in the lab's host namespaces
// that their run dirs' pidfiles do not name (see ovs.StopStrays).
func stopStrayDaemons(j *journal, hosts []string) error {
	lab := j.st.Lab
	var netns []string
	for _, h := range hosts {
		if j.fresh(NetnsName(lab, h)) {
			continue // made by this run: no daemon has been in it
		}
		// Strays are daemons whose run dir was lost; a host whose
		// pidfiles name two live daemons has none, and a converged lab
		// skips the scan of every process on the machine.
		if db, vs := ovs.DaemonsRunning(HostRunDir(lab, h)); db && vs {
			continue
		}
		netns = append(netns, NetnsName(lab, h))
	}
	homes, release := markedHomes(lab, netns)
	defer release()
	return ovs.StopStrays(homes)
}

// markedAnywhere reports whether anything on this machine carries lab's
// mark, looking without the lock: down of a lab that is not here must not
// even create its state directory. A component it cannot ask is an error
// naming it, never "nothing there": Docker, iptables, and OVSDB unless it
// is the default endpoint and absent (a machine with emulated labs only
// has no OVS of its own).
func markedAnywhere(ctx context.Context, lab string, o DownOptions) (bool, error) {
	marked, err := markedNetns(lab)
	if err != nil {
		return false, err
	}
	if len(marked[lab]) > 0 {
		return true, nil
	}
	dc, err := containers.Connect(ctx)
	if err != nil {
		return false, err
	}
	cs, err := dc.List(ctx, map[string]string{labelLab: lab})
	dc.Close()
	if err != nil || len(cs) > 0 {
		return len(cs) > 0, err
	}
	endpoint := ovsdbEndpoint(o.OVSDB)
	oc, err := ovs.Connect(ctx, endpoint)
	if err == nil {
		bs, err := oc.Status(ctx, lab)
		oc.Close()
		if err != nil || len(bs) > 0 {
			return len(bs) > 0, err
		}
	} else if o.OVSDB != "" || socketPresent(endpoint) {
		return false, err
	}
	rules, err := nat.List("", lab)
	return len(rules) > 0, err
}

// socketPresent reports whether a unix: endpoint's socket file exists.
func socketPresent(endpoint string) bool {
	p, ok := strings.CutPrefix(endpoint, "unix:")
	if !ok {
		return true // tcp, ssl: named on purpose
	}
	_, err := os.Stat(p)
	return err == nil
}
