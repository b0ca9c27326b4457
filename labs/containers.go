package labs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// applyContainers converges the host's containers and their veths, at
// most len(run.jobs) at a time across all hosts, and removes this lab's
// containers on the host that the plan no longer names. It returns the
// host veths that are new devices (see ovs.Port.Recreated).
func applyContainers(ctx context.Context, p *topology.HostPlan, run hostRun) ([]string, error) {
	if run.docker == nil {
		return nil, nil // a lab without containers, where Docker is not running
	}
	var (
		mu    sync.Mutex
		fresh []string
	)
	// The same for every container: rendered and summed once.
	hosts := hostsText{content: hostsFile(p)}
	hosts.sum = containers.HostsSum(hosts.content)
	bridges := bridgesByName(p)
	sets := neighbourSets(p, bridges)
	// The run's open host netns serves every link of the host.
	hostNS := run.ns
	qdiscs, err := containers.ReadRootQdiscs(hostNS)
	if err != nil {
		return nil, fmt.Errorf("host %s: qdiscs: %w", p.Host, err)
	}
	// One list of the host's containers serves every Ensure below and the
	// sweep of those the file no longer names.
	listed := run.listed
	if listed == nil {
		var err error
		if listed, err = run.docker.Listed(ctx, map[string]string{labelLab: p.Lab, labelHost: p.Host}); err != nil {
			return nil, err
		}
	}
	err = each(p.Containers, len(p.Containers), func(c topology.ContainerPlan) error {
		select {
		case run.jobs <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-run.jobs }()
		made, err := applyContainer(ctx, p, run, hostNS, qdiscs, c, hosts, bridges, sets, listed[c.Docker])
		mu.Lock()
		fresh = append(fresh, made...)
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, c := range p.Containers {
		want[c.Docker] = true
	}
	var stale []string
	for name := range listed {
		if !want[name] {
			stale = append(stale, name)
		}
	}
	err = each(stale, cap(run.jobs), func(name string) error {
		run.progress("%s: removing container %s (no longer in the file)", p.Host, name)
		if err := run.docker.Remove(ctx, listed[name].ID); err != nil {
			return err
		}
		run.j.changed(p.Host, listed[name].Labels[labelNode], "removed")
		return nil
	})
	return fresh, err
}

// applyContainer converges one container, plumbs its interfaces (with
// their permanent neighbours) and writes its /etc/hosts, returning the
// host veths it made anew.
func applyContainer(ctx context.Context, p *topology.HostPlan, run hostRun, hostNS *nsutil.NS, qdiscs containers.RootQdiscs, c topology.ContainerPlan, hosts hostsText, bridges map[string]*topology.BridgePlan, sets map[neighSegment]string, listed *containers.Listed) ([]string, error) {
	held := run.j.holds()
	if held.stopped(c.Docker) && listed != nil && listed.State != "running" {
		return nil, nil // stopped by the current stage: up leaves it so
	}
	var caps []string
	if c.NetAdmin {
		caps = []string{"NET_ADMIN"}
	}
	// The process is held and checked once for all the container's steps.
	proc, err := run.docker.EnsureProcess(ctx, containers.Spec{
		Name: c.Docker, Image: c.Image, Command: c.Command, Hostname: c.Name, CapAdd: caps,
		Labels: map[string]string{labelLab: p.Lab, labelHost: p.Host, labelNode: c.Name},
		Listed: listed, PIDHint: run.j.pidHint(c.Docker),
	}, labelLab)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", p.Host, err)
	}
	defer proc.Close()
	id, pid := proc.ID, proc.Pid
	run.j.sawPID(c.Docker, pid)
	// A container made anew is news as a whole; one that was kept tells
	// what up changed on it.
	made := ""
	switch {
	case listed == nil:
		made = "created"
	case listed.ID != id:
		made = "recreated"
	case listed.State != "running":
		made = "started"
	}
	if made != "" {
		run.j.changed(p.Host, c.Name, "%s", made)
	}
	var fresh []string
	for _, i := range c.Interfaces {
		link := containerLink(run.netnsPath(), pid, i)
		link.HostNS, link.HostQdiscs, link.ContainerID, link.Process = hostNS, qdiscs, id, proc
		link.Mark = netnsMarkPrefix + p.Lab + ":" + c.Name
		link.Neighbours = linkNeighbours(i, bridges, sets)
		if made == "" {
			link.Changed = func(what string) { run.j.changed(p.Host, c.Name+" "+i.Name, "%s", what) }
		}
		link.Hold = held.onHost(p.Host).link(p.Host, c.Docker, i)
		created, err := containers.Plumb(link)
		if err != nil {
			return fresh, fmt.Errorf("container %s %s: %w", c.Name, i.Name, err)
		}
		if created {
			fresh = append(fresh, i.HostVeth)
			if made == "" {
				run.j.changed(p.Host, c.Name+" "+i.Name, "veth re-made")
			}
		}
	}
	rewrote, stamp, err := proc.SetHostsStamped(hosts.content, hosts.sum, run.j.hostsHint(c.Docker))
	if err != nil {
		return fresh, fmt.Errorf("container %s: names: %w", c.Name, err)
	}
	run.j.sawHosts(c.Docker, stamp)
	if rewrote && made == "" {
		run.j.changed(p.Host, c.Name, "/etc/hosts updated")
	}
	return fresh, nil
}

// hostsText is the /etc/hosts of a host's containers and its sum.
type hostsText struct {
	content []byte
	sum     string
}

// impairment turns the file's impairment into the containers layer's.
func impairment(i *topology.Impair) containers.Impairment {
	if i == nil {
		return containers.Impairment{}
	}
	return containers.Impairment{Delay: i.Delay, Jitter: i.Jitter, Loss: i.Loss, Rate: i.Rate}
}

// containerLink is the veth of one container interface, as Plumb and
// Inspect take it.
func containerLink(netnsPath string, pid int, i topology.InterfacePlan) containers.Link {
	return containers.Link{
		HostNetns: netnsPath, HostVeth: i.HostVeth, ContainerPid: pid,
		Name: i.Name, Address: i.Address, MAC: i.MAC, MTU: i.MTU, DefaultRoute: i.DefaultRoute,
		Impair: impairment(i.Impair),
	}
}

// checkNetem refuses, before anything changes, a lab that asks for delay,
// jitter or loss on a kernel without netem; a rate alone needs only tbf.
func checkNetem(plans map[string]*topology.HostPlan) error {
	for _, h := range sortedHosts(plans) {
		for _, c := range plans[h].Containers {
			for _, i := range c.Interfaces {
				if i.Impair == nil || !i.Impair.NeedsNetem() {
					continue
				}
				if err := containers.NetemAvailable(); err != nil {
					return fmt.Errorf("container %s %s asks for %s: %w; load it (modprobe sch_netem) or keep only rate, which needs tbf alone", c.Name, i.Name, i.Impair, err)
				}
				return nil // one probe answers for the whole kernel
			}
		}
	}
	return nil
}

func sortedHosts(plans map[string]*topology.HostPlan) []string {
	return slices.Sorted(maps.Keys(plans))
}

// hostsFile is every container's /etc/hosts on this host.
func hostsFile(p *topology.HostPlan) []byte {
	names := make([]containers.HostName, len(p.Names))
	for i, n := range p.Names {
		names[i] = containers.HostName{Name: n.Name, Address: n.Address}
	}
	return containers.HostsFile(names)
}
