package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// Options are the knobs of up, down and status.
type Options struct {
	Emulate  bool   // build the whole lab on this machine
	Host     string // real mode: which host this machine is
	OVSDB    string // real mode: OVSDB endpoint
	NoWait   bool   // fail instead of waiting for another up/down of the lab
	Name     string // up: bring the lab up as a copy under this name (Topology.Rename)
	Progress func(format string, args ...any)
}

func (o Options) progress() func(string, ...any) {
	if o.Progress != nil {
		return o.Progress
	}
	return func(string, ...any) {}
}

// Up converges this machine to the lab in src: all of it with Emulate, else
// the part of the host this machine is. It is safe to repeat, and it
// finishes what an interrupted Up left.
func Up(ctx context.Context, src *Source, o Options) error {
	t := src.Topo
	if o.Name != "" {
		if err := t.Rename(o.Name); err != nil {
			return Usagef("--name: %v", err)
		}
	}
	mode := ModeReal
	if o.Emulate {
		mode = ModeEmulated
		t.ForEmulation()
	}
	// Plan every host before touching anything: a plan error is a file
	// error and must leave the machine as it was.
	hosts := t.HostNames()
	if !o.Emulate {
		h, err := whichHost(t, o.Host)
		if err != nil {
			return err
		}
		hosts = []string{h}
	}
	plans := map[string]*topology.HostPlan{}
	for _, h := range hosts {
		p, err := t.Plan(h)
		if err != nil {
			return err
		}
		plans[h] = p
	}
	if !o.Emulate {
		if err := checkDatapath(plans[hosts[0]]); err != nil {
			return err
		}
	}
	// Reach Docker before taking the lock or writing state: an unreachable
	// daemon must leave the machine as it was.
	dc, err := containers.Connect(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	if err := checkContainerNames(ctx, dc, t.Name, plans); err != nil {
		return err
	}
	lock, err := Acquire(ctx, t.Name, o.NoWait, func() {
		o.progress()("waiting for another ovslab up/down of %s", t.Name)
	})
	if err != nil {
		return err
	}
	defer lock.Release()

	st, err := LoadState(t.Name)
	fresh := errors.Is(err, ErrNoLab)
	switch {
	case fresh:
		st = &State{Lab: t.Name, Mode: mode}
	case err != nil:
		return err
	case st.Mode != mode:
		return Usagef("lab %s is up in %s mode here; run ovslab down %s first", t.Name, st.Mode, t.Name)
	}
	old := st.Hosts
	st.Source, st.Topology, st.Complete = src.Name, string(src.Data), false
	if !o.Emulate {
		if st.OVSDB != "" && o.OVSDB != "" && o.OVSDB != st.OVSDB {
			return Usagef("lab %s was built through OVSDB %s, not %s; run ovslab down %s first to move it", t.Name, st.OVSDB, o.OVSDB, t.Name)
		}
		st.OVSDB = st.endpoint(o.OVSDB)
	}
	st.Hosts = union(old, hosts)
	if err := st.Save(); err != nil {
		return err
	}

	if o.Emulate {
		err = upEmulated(ctx, st, t, plans, dc, o)
	} else {
		err = upReal(ctx, st, plans[hosts[0]], dc, o)
	}
	if err != nil {
		var pe *preflightError
		if fresh && errors.As(err, &pe) {
			// Refused before any change: leave no trace of the lab either.
			if dir, derr := Dir(t.Name); derr == nil {
				_ = os.RemoveAll(dir)
			}
		}
		return err
	}
	st.Hosts, st.Complete = hosts, true
	return st.Save()
}

func upEmulated(ctx context.Context, st *State, t *topology.Topology, plans map[string]*topology.HostPlan, dc *containers.Client, o Options) error {
	pr := o.progress()
	// Hosts the file no longer names go first, so their names and
	// addresses are free for the new ones.
	for _, h := range st.Hosts {
		if _, ok := plans[h]; !ok {
			pr("%s: removing (no longer in the file)", h)
			if err := downEmulatedHost(ctx, st, h, dc); err != nil {
				return err
			}
		}
	}
	names := append([]string{NetnsName(t.Name, routerNode), NetnsName(t.Name, wanNode)}, hostNetnsNames(t)...)
	if err := checkNetnsFree(st, names); err != nil {
		return &preflightError{err}
	}
	pr("underlay: router, WAN and host namespaces")
	if err := buildFabric(st, t); err != nil {
		return err
	}
	for _, h := range t.HostNames() {
		runDir := HostRunDir(t.Name, h)
		pr("%s: OVS daemons in %s", h, runDir)
		if err := ovs.StartDaemons(ctx, runDir, nsutil.Path(NetnsName(t.Name, h))); err != nil {
			return fmt.Errorf("host %s: %w", h, err)
		}
		tg := target{netns: NetnsName(t.Name, h), ovsdb: ovs.Endpoint(runDir), docker: dc, emulated: true, progress: pr}
		if err := applyHost(ctx, st, plans[h], tg); err != nil {
			var pe *preflightError
			if errors.As(err, &pe) {
				// This host is untouched, but the fabric is not: down
				// must still find the lab.
				return pe.err
			}
			return err
		}
	}
	return nil
}

func upReal(ctx context.Context, st *State, p *topology.HostPlan, dc *containers.Client, o Options) error {
	tg := target{ovsdb: st.OVSDB, docker: dc, progress: o.progress()}
	return applyHost(ctx, st, p, tg)
}

// endpoint is the OVSDB a real-host command uses: the flag, else the one
// up recorded, else the default.
func (st *State) endpoint(flag string) string {
	if flag == "" && st.OVSDB != "" {
		return st.OVSDB
	}
	return OVSDBEndpoint(flag)
}

// checkDatapath refuses the kernel datapath where its module is missing:
// vswitchd would accept the bridges and then forward nothing.
func checkDatapath(p *topology.HostPlan) error {
	if p.Datapath != topology.DatapathSystem {
		return nil
	}
	if _, err := os.Stat("/sys/module/openvswitch"); err != nil {
		return fmt.Errorf("host %s: the openvswitch kernel module is not loaded, so datapath system cannot work here; load it (modprobe openvswitch) or set hosts.%s.datapath: netdev (OVS in userspace)", p.Host, p.Host)
	}
	return nil
}

// OVSDBEndpoint picks the OVSDB endpoint of a real host: the flag, else
// $OVS_RUNDIR/db.sock, else the packaged default.
func OVSDBEndpoint(flag string) string {
	switch {
	case flag != "":
		return flag
	case os.Getenv("OVS_RUNDIR") != "":
		return "unix:" + os.Getenv("OVS_RUNDIR") + "/db.sock"
	default:
		return "unix:/var/run/openvswitch/db.sock"
	}
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// checkContainerNames refuses, before anything changes, a Docker container
// that has a name the lab needs but is not the lab's.
func checkContainerNames(ctx context.Context, dc *containers.Client, lab string, plans map[string]*topology.HostPlan) error {
	var errs []error
	for _, p := range plans {
		for _, c := range p.Containers {
			if err := dc.CheckOwner(ctx, c.Docker, LabelLab, lab); err != nil {
				errs = append(errs, fmt.Errorf("host %s: %w", p.Host, err))
			}
		}
	}
	return errors.Join(errs...)
}
