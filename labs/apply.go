package labs

import (
	"context"
	"fmt"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// Docker labels ovslab puts on every container it makes.
const (
	labelLab  = containers.LabLabel
	labelHost = "ovslab.host"
	labelNode = "ovslab.node"
)

// location is where one host of a lab lives: the netns it is in ("" =
// this process's own, i.e. a real host) and the daemons it uses. It is
// worked out once per host (State.hostLocation) and used by up, down,
// status, check and exec alike.
type location struct {
	host     string
	netns    string // netns name, "" for the current netns
	ovsdb    string // OVSDB endpoint
	runDir   string // where vswitchd's pidfile and control socket are, "" if unknown
	emulated bool
}

func (l location) netnsPath() string { return nsutil.Path(l.netns) }

// hostRun is one up run's work on one host: where the host lives, and
// what the run found there and shares with the other hosts.
type hostRun struct {
	location
	nic      string // the underlay NIC, once applyHost found it
	docker   *containers.Client
	j        *journal      // the one writer of the lab's state
	jobs     chan struct{} // bounds container work across all hosts
	progress func(format string, args ...any)
	ns       *nsutil.NS // the host's netns, open for the run's steps
	// listed, if set, are the host's containers as one list of the
	// machine's found them just before the lab's lock was taken (up
	// drops it if it waited for the lock); nil = list the host's.
	listed map[string]*containers.Listed
	// oc, if set, is a client of the host's OVSDB connected early
	// (preconnect); applyHost closes it. nil = connect.
	oc *ovs.Client
	// changing, if set, runs once the host's preflight has passed,
	// before its first change: what the whole lab changes on the machine.
	changing func() error
}

// fresh reports whether the host is an emulated one whose netns this run
// made: nothing else has been in it, so there is nothing to read back.
func (run hostRun) fresh() bool { return run.emulated && run.j.fresh(run.netns) }

// applyHost converges one host to its plan. The order matters: daemons
// reached and ownership checked before any change; containers and their
// veths next, so the single OVS transaction that follows finds every
// device it attaches; then addresses that need OVS's internal ports; NAT
// once there is something to forward; once vswitchd holds every port,
// the bridges' static MACs; and last the underlay warmed, so the lab
// forwards its first packet when up returns.
func applyHost(ctx context.Context, p *topology.HostPlan, run hostRun) error {
	oc, err := run.oc, error(nil)
	if oc == nil {
		if oc, err = ovs.Connect(ctx, run.ovsdb); err != nil {
			return &preflightError{err}
		}
	}
	defer oc.Close()
	if run.ns, err = nsutil.OpenNamed(run.netns); err != nil {
		return &preflightError{err}
	}
	defer run.ns.Close()
	run.ns.Changed, oc.Changed = run.j.hook(p.Host), run.j.hook(p.Host)
	if run.nic, err = adoptNIC(ctx, oc, p, run); err != nil {
		return &preflightError{err}
	}
	// What the current stage's faults hold stays as it is (faults_ovs.go).
	bridges, err := holdOVS(ctx, oc, p, run.j.holds().onHost(p.Host), ovsBridges(p, run.nic), nil)
	if err != nil {
		return &preflightError{err}
	}
	if err := preflight(ctx, oc, p, run, bridges); err != nil {
		return &preflightError{err}
	}
	if run.changing != nil {
		if err := run.changing(); err != nil {
			return err
		}
	}
	mtuChanged, err := raiseMTU(p, run)
	if err != nil {
		return err
	}
	run.progress("%s: containers", p.Host)
	fresh, err := applyContainers(ctx, p, run)
	if err != nil {
		return err
	}
	run.progress("%s: OVS bridges and tunnels", p.Host)
	markRecreated(bridges, fresh)
	if err := oc.Apply(ctx, p.Lab, bridges); err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	// vswitchd may have opened a new veth before Plumb brought it up, and
	// when it adds the port Apply re-attached it writes back the flags it
	// cached then: the veth goes down again. Apply returns once OVSDB
	// holds the port, which can be before vswitchd has added it, so wait
	// for vswitchd first; a veth brought up before that went down after
	// (an up after a reboot left one down in a test).
	if len(fresh) > 0 {
		if err := oc.Sync(ctx); err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
	}
	// The fresh veths are their containers' news, already told.
	hook := run.ns.Changed
	run.ns.Changed = nil
	for _, v := range fresh {
		if err := run.ns.LinkUp(v); err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
	}
	run.ns.Changed = hook
	if err := underlayAddress(ctx, oc, p, run); err != nil {
		return err
	}
	for _, b := range p.Bridges {
		if b.Gateway == nil {
			continue
		}
		if err := oc.WaitInterface(ctx, b.Gateway.Port); err != nil {
			return fmt.Errorf("host %s: gateway port %s: %w", p.Host, b.Gateway.Port, err)
		}
		if err := portAddr(run, p.Host, b.Gateway.Port, b.Gateway.Address); err != nil {
			return fmt.Errorf("host %s: gateway %w", p.Host, err)
		}
		if err := addrPortNeighbours(run, &b, b.Gateway); err != nil {
			return fmt.Errorf("host %s: gateway %w", p.Host, err)
		}
	}
	if err := applyHostPorts(ctx, oc, p, run); err != nil {
		return err
	}
	run.progress("%s: forwarding and NAT", p.Host)
	if err := applyNAT(ctx, p, run); err != nil {
		return err
	}
	// vswitchd has acted on everything above once it reports the config
	// generation we ask for; only then can warming the tunnels work.
	if err := oc.Sync(ctx); err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	if err := teachBridgeMACs(ctx, oc, p, run); err != nil {
		return err
	}
	held := underlayHeldDown(run, p.Host)
	if err := warmUnderlay(ctx, p, run, run.emulated && !held); err != nil {
		return err
	}
	if mtuChanged && !held {
		return settleTunnels(ctx, oc, p, run)
	}
	return nil
}

// preflightError is a refusal made before the host was changed.
type preflightError struct{ err error }

func (e *preflightError) Error() string { return e.err.Error() }
func (e *preflightError) Unwrap() error { return e.err }

// preflight checks, before anything changes, that every bridge and port
// the host needs is free or already the lab's (containers and images were
// checked by Up): a clash must leave the machine as it was.
func preflight(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun, bridges []ovs.Bridge) error {
	if err := oc.Check(ctx, p.Lab, bridges); err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	return nil
}

// raiseMTU sets the underlay MTU on the NIC so a full inner frame plus the
// VXLAN header fits, recording the old value for `down` first.
func raiseMTU(p *topology.HostPlan, run hostRun) (changed bool, err error) {
	nic := run.nic
	old, err := run.ns.LinkMTU(nic)
	if err != nil {
		return false, fmt.Errorf("host %s: underlay %w", p.Host, err)
	}
	before := old
	if !run.emulated {
		err := run.j.record(p.Host, func(r *hostRestore) bool {
			if _, ok := r.MTU[nic]; ok {
				return false
			}
			if orig, ok := othersNeed(p.Lab).mtu[nic]; ok {
				old = orig // another lab raised it first: keep the true original
			}
			r.MTU[nic] = old
			return true
		})
		if err != nil {
			return false, err
		}
	}
	if err := underlayUp(run, p.Host, nic, p.MTU); err != nil {
		return false, fmt.Errorf("host %s: underlay MTU %d on %s could not be set (%v): VXLAN frames carrying full 1500-byte packets will be dropped; raise the NIC's MTU limit (on a VM, the hypervisor's) or set underlay.mtu to what %s allows",
			p.Host, p.MTU, nic, err, nic)
	}
	// A fault may hold the MTU where it is: changed is what the NIC now has.
	now, err := run.ns.LinkMTU(nic)
	if err != nil {
		return false, fmt.Errorf("host %s: underlay %w", p.Host, err)
	}
	return now != before, nil
}

// applyNAT turns on forwarding where the host routes for a network and
// converges the lab's MASQUERADE and FORWARD rules (removing stale ones).
func applyNAT(ctx context.Context, p *topology.HostPlan, run hostRun) error {
	if p.IPForward {
		if err := enableIPForward(ctx, p, run); err != nil {
			return err
		}
	}
	var rules []nat.Rule
	for _, n := range p.NAT {
		rules = append(rules, nat.MasqueradeRules(n.Subnet, n.Exclude, n.GatewayPort)...)
	}
	rules, err := holdRules(run.netnsPath(), p.Lab, run.j.holds().onHost(p.Host), rules, nil)
	if err != nil {
		return fmt.Errorf("host %s: NAT: %w", p.Host, err)
	}
	converge := nat.Converge
	if run.fresh() {
		converge = nat.ConvergeEmpty // nothing to list in a netns made just now
	}
	rewrote, err := converge(run.netnsPath(), p.Lab, rules)
	if err != nil {
		return fmt.Errorf("host %s: NAT: %w", p.Host, err)
	}
	for _, chain := range rewrote {
		run.j.changed(p.Host, "iptables "+chain, "rules of the lab rewritten")
	}
	return nil
}

// enableIPForward records ip_forward's value and then turns it on, so a
// run killed in between leaves the original recorded for down. A real
// host's ip_forward is the machine's, shared by the real-host labs on it
// (each records the original another recorded), so it is read, recorded
// and written under the machine's lock.
func enableIPForward(ctx context.Context, p *topology.HostPlan, run hostRun) error {
	if !run.emulated {
		ml, err := lockMachine(ctx)
		if err != nil {
			return err
		}
		defer ml.release()
	}
	on, err := nat.IPForward(run.netnsPath())
	if err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	old := "0"
	if on {
		old = "1"
	}
	err = run.j.record(p.Host, func(r *hostRestore) bool {
		if r.IPForward != "" {
			return false
		}
		// An emulated host's netns is its own, shared with no lab: only a
		// real host reads the others' records (every lab's state file).
		if !run.emulated {
			if orig := othersNeed(p.Lab).ipForward; orig != "" {
				old = orig
			}
		}
		r.IPForward = old
		return true
	})
	// A forward-off fault of the current stage holds it off.
	if err != nil || on || run.j.holds().forwardOff(p.Host) {
		return err
	}
	if _, err := nat.SetIPForward(run.netnsPath(), true); err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	run.j.changed(p.Host, "ip_forward", "0→1")
	return nil
}
