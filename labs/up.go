package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// Up converges this machine to the lab in src: all of it with Emulate, else
// the part of the host this machine is. It is safe to repeat, and it
// finishes what an interrupted Up left.
func Up(ctx context.Context, src *Source, o UpOptions) (err error) {
	t := src.Topo
	if o.Name != "" {
		if err := t.Rename(o.Name); err != nil {
			return Usagef("--name: %v", err)
		}
	}
	mode := ModeReal
	kernel := false
	if o.Emulate {
		mode = ModeEmulated
		kernel = emulationDatapath(t.Name)
		t.ForEmulation(kernel)
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
	for _, h := range hosts {
		if err := checkDatapath(plans[h]); err != nil {
			return err
		}
	}
	if err := checkNetem(plans); err != nil {
		return err
	}
	if err := checkStageNetem(stageToEnter(t)); err != nil {
		return err
	}
	var pre preconnected
	if o.Emulate {
		pre = preconnect(ctx, t.Name, hosts)
		defer func() { pre.close() }()
	}
	// Reach Docker before taking the lock or writing state: an unreachable
	// daemon must leave the machine as it was.
	dc, err := connectDocker(ctx, t)
	if err != nil {
		return err
	}
	defer dc.Close()
	warnDocker := warnLargeLab(ctx, dc, countContainers(plans), o.Reporter)
	all, err := checkContainerNames(ctx, dc, t.Name, plans, o.Listed)
	if err != nil {
		return err
	}
	pool := o.pool()
	if err := checkImages(ctx, dc, pool, plans); err != nil {
		return err
	}
	warnDocker()
	lock, err := acquire(ctx, t.Name, o.NoWait, func() {
		// What the run we waited for did is not in that list, and
		// it may have restarted the daemons these clients reached.
		all = nil
		pre.close()
		pre = nil
		o.Progressf("waiting for another ovslab up/down of %s", t.Name)
	})
	if err != nil {
		return err
	}
	defer lock.release()
	lc := beginUp(t.Name, mode, src.Name)
	defer func() { lc.end(err) }()
	o.Reporter = lc.steps(o.Reporter)

	st, err := LoadState(t.Name)
	if errors.Is(err, errBadState) {
		// Cut short by a crash: what the lab made is found by its marks.
		o.notef("%v; starting anew and adopting what is marked as lab %s's", err, t.Name)
		st, err = nil, errNoLab
	}
	fresh := errors.Is(err, errNoLab)
	switch {
	case fresh:
		st = &State{Lab: t.Name, Mode: mode, KernelDatapath: kernel}
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
	if o.Emulate {
		// Before a host is recorded: down of a lab whose state names a
		// host must never find another lab's netns under its name.
		if err := checkNetnsFree(t.Name, emulatedNetns(t)); err != nil {
			if fresh {
				removeLabDir(t.Name)
			}
			return err
		}
	}
	st.Hosts = union(old, hosts)
	if err := st.Save(); err != nil {
		return err
	}

	j := newJournal(st)
	j.takePIDs()
	if err := stageOnUp(j, t, o.Reporter); err != nil {
		return err
	}
	need := neighNeed(t, func(h string) bool { return slices.Contains(hosts, h) })
	// Once, by the first host past its preflight: a lab refused before
	// any change must not have changed the machine's limits either.
	raise := sync.OnceValue(func() error {
		ml, err := lockMachine(ctx)
		if err != nil {
			return err
		}
		defer ml.release()
		return raiseNeighLimits(j.st.Lab, nsutil.Own(), need, o.Progressf)
	})
	if o.Emulate {
		err = upEmulated(ctx, j, t, plans, dc, all, pre, pool, raise, o)
	} else {
		err = upReal(ctx, j, plans[hosts[0]], dc, all, pool, raise, o)
	}
	if err == nil {
		err = applyStageOnUp(ctx, j, t, plans, dc, o)
	}
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		// A tool killed by the cancelled context says only "signal:
		// killed"; the user pressed Ctrl-C and should read that.
		err = fmt.Errorf("%w: %v", ctx.Err(), err)
	}
	if err != nil {
		var pe *preflightError
		if fresh && errors.As(err, &pe) {
			removeLabDir(t.Name)
		}
		return err
	}
	if err := j.save(func(st *State) { st.Hosts, st.Complete = hosts, true }); err != nil {
		return err
	}
	if o.Done != nil {
		o.Done(UpReport{Fresh: fresh, Changes: j.log.changes(), Containers: countContainers(plans)})
	}
	return nil
}

// countContainers is how many containers the plans put on this machine's
// dockerd: every host's when emulated, this host's on a real one.
func countContainers(plans map[string]*topology.HostPlan) int {
	n := 0
	for _, p := range plans {
		n += len(p.Containers)
	}
	return n
}

// removeLabDir removes the directory of a fresh lab refused before any
// change, so it leaves no trace.
func removeLabDir(lab string) {
	if dir, err := Dir(lab); err == nil {
		_ = os.RemoveAll(dir)
	}
}

// all is the list of the machine's containers up read before it took the
// lab's lock, nil if it has none or waited for the lock.
func upEmulated(ctx context.Context, j *journal, t *topology.Topology, plans map[string]*topology.HostPlan, dc *containers.Client, all map[string]*containers.Listed, pre preconnected, pool *Pool, changing func() error, o UpOptions) error {
	pr := o.Progressf
	// Hosts the file no longer names go first, so their names and
	// addresses are free for the new ones.
	for _, h := range j.st.Hosts {
		if _, ok := plans[h]; !ok {
			pr("%s: removing (no longer in the file)", h)
			if err := downEmulatedHost(ctx, j, h, dc); err != nil {
				return err
			}
		}
	}
	pr("underlay: router, WAN and host namespaces")
	if err := buildFabric(j, t); err != nil {
		return err
	}
	// Daemons left running in adopted namespaces without their run dir
	// would fight the ones started below.
	if err := stopStrayDaemons(j, t.HostNames()); err != nil {
		return err
	}
	// One list of the lab's containers serves every host: each list
	// costs dockerd a walk over every container it has.
	var byHost map[string]map[string]*containers.Listed
	if countContainers(plans) > 0 {
		if all == nil {
			var err error
			if all, err = dc.Listed(ctx, map[string]string{labelLab: t.Name}); err != nil {
				return err
			}
		}
		byHost = map[string]map[string]*containers.Listed{}
		for h := range plans {
			byHost[h] = listedOn(all, t.Name, h)
		}
	}
	// The fabric is shared; the hosts on it are independent, so they come
	// up at once, their containers drawing on one pool of jobs.
	// One host failing does not stop the others: each is reported.
	jobs := pool.jobs
	return each(t.HostNames(), len(plans), func(h string) error {
		loc := j.st.hostLocation(h, "")
		pr("%s: OVS daemons in %s", h, loc.runDir)
		oc := pre.take(h)
		if db, vs := ovs.DaemonsRunning(loc.runDir); !db || !vs {
			j.changed(h, "OVS daemons", "started")
			if oc != nil {
				oc.Close() // of daemons about to be replaced
				oc = nil
			}
		}
		started, err := ovs.StartDaemonsConnected(ctx, loc.runDir, loc.netnsPath())
		if err != nil {
			if oc != nil {
				oc.Close()
			}
			return fmt.Errorf("host %s: %w", h, err)
		}
		if oc == nil {
			oc = started // the client that set the daemons up goes on
		} else if started != nil {
			started.Close()
		}
		err = applyHost(ctx, plans[h], hostRun{location: loc, docker: dc, j: j, jobs: jobs, progress: pr, changing: changing, listed: byHost[h], oc: oc})
		var pe *preflightError
		if errors.As(err, &pe) {
			// This host is untouched, but the fabric is not: down
			// must still find the lab.
			return pe.err
		}
		return err
	})
}

func upReal(ctx context.Context, j *journal, p *topology.HostPlan, dc *containers.Client, all map[string]*containers.Listed, pool *Pool, changing func() error, o UpOptions) error {
	run := hostRun{location: j.st.hostLocation(p.Host, ""), docker: dc, j: j, jobs: pool.jobs, progress: o.Progressf, changing: changing}
	if all != nil {
		run.listed = listedOn(all, p.Lab, p.Host)
	}
	return applyHost(ctx, p, run)
}

// listedOn is the part of a list of containers that lab's host h holds.
func listedOn(all map[string]*containers.Listed, lab, h string) map[string]*containers.Listed {
	out := map[string]*containers.Listed{}
	for name, l := range all {
		if l.Labels[labelLab] == lab && l.Labels[labelHost] == h {
			out[name] = l
		}
	}
	return out
}

// hostLocation is where host h of the lab lives, worked out in this one
// place for up, down, status, check and exec: an emulated host is its
// netns and the OVS daemons in its run dir; a real host is this machine,
// reached through the OVSDB endpoint (the flag, else the one up recorded,
// else the default).
func (st *State) hostLocation(h, ovsdbFlag string) location {
	loc := location{host: h}
	if st.Mode == ModeEmulated {
		loc.runDir = HostRunDir(st.Lab, h)
		loc.netns, loc.ovsdb, loc.emulated = NetnsName(st.Lab, h), ovs.Endpoint(loc.runDir), true
		return loc
	}
	loc.ovsdb = st.endpoint(ovsdbFlag)
	loc.runDir = ovs.RunDirOf(loc.ovsdb)
	return loc
}

// endpoint is the OVSDB a real-host command uses: the flag, else the one
// up recorded, else the default.
func (st *State) endpoint(flag string) string {
	if flag == "" && st.OVSDB != "" {
		return st.OVSDB
	}
	return ovsdbEndpoint(flag)
}

// ovsdbEndpoint picks the OVSDB endpoint of a real host: the flag, else
// $OVS_RUNDIR/db.sock, else the packaged default.
func ovsdbEndpoint(flag string) string {
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
// that has a name the lab needs but is not the lab's. It returns what it
// read, every container of the machine (nil if the plans have none): one
// list serves up's check and its converge, as each list costs dockerd a
// walk over all it has.
func checkContainerNames(ctx context.Context, dc *containers.Client, lab string, plans map[string]*topology.HostPlan, listed *ContainerList) (map[string]*containers.Listed, error) {
	var names []string
	for _, p := range plans {
		for _, c := range p.Containers {
			names = append(names, c.Docker)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	var (
		all map[string]*containers.Listed
		err error
	)
	if listed != nil {
		all, err = listed.read()
	} else {
		all, err = dc.Listed(ctx, nil)
	}
	if err != nil {
		return nil, err
	}
	return all, containerClash(containers.CheckOwners(all, names, labelLab, lab))
}

// ContainerList is one list of the machine's containers (UpOptions),
// asked for once and read by every Up it is given to.
type ContainerList struct {
	done chan struct{}
	all  map[string]*containers.Listed
	err  error
}

// ListContainers starts listing the machine's containers, running or
// not, and returns at once: an Up given it (UpOptions.Listed) waits for
// the list only where it would have listed, and fails there as its own
// list would have. Ups that start together share one (a class's
// copies); a single up asks before it reads its file.
func ListContainers(ctx context.Context) *ContainerList {
	l := &ContainerList{done: make(chan struct{})}
	go func() {
		defer close(l.done)
		dc, err := containers.Connect(ctx)
		if err != nil {
			l.err = err
			return
		}
		defer dc.Close()
		l.all, l.err = dc.Listed(ctx, nil)
	}()
	return l
}

// read waits for the list.
func (l *ContainerList) read() (map[string]*containers.Listed, error) {
	<-l.done
	return l.all, l.err
}
