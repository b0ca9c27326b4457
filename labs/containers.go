package labs

import (
	"context"
	"fmt"
	"sync"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// applyContainers converges the host's containers and their veths, at
// most len(tg.jobs) at a time across all hosts, and removes this lab's
// containers on the host that the plan no longer names. It returns the
// host veths that are new devices (see ovs.Port.Recreated).
func applyContainers(ctx context.Context, p *topology.HostPlan, tg target) ([]string, error) {
	if tg.docker == nil {
		return nil, nil // a lab without containers, where Docker is not running
	}
	var (
		mu    sync.Mutex
		fresh []string
	)
	hosts := hostsFile(p) // the same for every container: rendered once
	// One open host netns serves every link of the host.
	hostNS, err := nsutil.Open(tg.netnsPath())
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", p.Host, err)
	}
	defer hostNS.Close()
	qdiscs, err := containers.ReadRootQdiscs(hostNS)
	if err != nil {
		return nil, fmt.Errorf("host %s: qdiscs: %w", p.Host, err)
	}
	// One list of the host's containers serves every Ensure below and the
	// sweep of those the file no longer names.
	listed, err := tg.docker.Listed(ctx, map[string]string{LabelLab: p.Lab, LabelHost: p.Host})
	if err != nil {
		return nil, err
	}
	err = each(p.Containers, len(p.Containers), func(c topology.ContainerPlan) error {
		select {
		case tg.jobs <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-tg.jobs }()
		made, err := applyContainer(ctx, p, tg, hostNS, qdiscs, c, hosts, listed[c.Docker])
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
	err = each(stale, cap(tg.jobs), func(name string) error {
		tg.progress("%s: removing container %s (no longer in the file)", p.Host, name)
		return tg.docker.Remove(ctx, listed[name].ID)
	})
	return fresh, err
}

// applyContainer converges one container, plumbs its interfaces and
// writes its /etc/hosts, returning the host veths it made anew.
func applyContainer(ctx context.Context, p *topology.HostPlan, tg target, hostNS *nsutil.NS, qdiscs containers.RootQdiscs, c topology.ContainerPlan, hosts []byte, listed *containers.Listed) ([]string, error) {
	id, pid, err := tg.docker.Ensure(ctx, containers.Spec{
		Name: c.Docker, Image: c.Image, Command: c.Command, Hostname: c.Name,
		Labels: map[string]string{LabelLab: p.Lab, LabelHost: p.Host, LabelNode: c.Name},
		Listed: listed, PIDHint: tg.j.pidHint(c.Docker),
	}, LabelLab)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", p.Host, err)
	}
	tg.j.sawPID(c.Docker, pid)
	var fresh []string
	for _, i := range c.Interfaces {
		link := containerLink(tg.netnsPath(), pid, i)
		link.HostNS, link.HostQdiscs, link.ContainerID = hostNS, qdiscs, id
		link.Mark = netnsMarkPrefix + p.Lab + ":" + c.Name
		created, err := containers.Plumb(link)
		if err != nil {
			return fresh, fmt.Errorf("container %s %s: %w", c.Name, i.Name, err)
		}
		if created {
			fresh = append(fresh, i.HostVeth)
		}
	}
	if _, err := containers.SetHosts(id, pid, hosts); err != nil {
		return fresh, fmt.Errorf("container %s: names: %w", c.Name, err)
	}
	return fresh, nil
}
