package labs

import (
	"context"
	"fmt"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/topology"
)

// applyContainers converges the host's containers and their veths, and
// removes this lab's containers on the host that the plan no longer names.
// It returns the host veths that are new devices (see ovs.Port.Recreated).
func applyContainers(ctx context.Context, p *topology.HostPlan, tg target) ([]string, error) {
	want := map[string]bool{}
	var fresh []string
	for _, c := range p.Containers {
		want[c.Docker] = true
		_, pid, err := tg.docker.Ensure(ctx, containers.Spec{
			Name: c.Docker, Image: c.Image, Command: c.Command, Hostname: c.Name,
			Labels: map[string]string{LabelLab: p.Lab, LabelHost: p.Host, LabelNode: c.Name},
		}, LabelLab)
		if err != nil {
			return nil, fmt.Errorf("host %s: %w", p.Host, err)
		}
		for _, i := range c.Interfaces {
			before := linkIndex(tg.netns, i.HostVeth)
			err := containers.Plumb(containers.Link{
				HostNetns: tg.netnsPath(), HostVeth: i.HostVeth, ContainerPid: pid,
				Name: i.Name, Address: i.Address, MAC: i.MAC, MTU: i.MTU, DefaultRoute: i.DefaultRoute,
			})
			if err != nil {
				return nil, fmt.Errorf("container %s %s: %w", c.Name, i.Name, err)
			}
			if linkIndex(tg.netns, i.HostVeth) != before {
				fresh = append(fresh, i.HostVeth)
			}
		}
	}
	have, err := tg.docker.List(ctx, map[string]string{LabelLab: p.Lab, LabelHost: p.Host})
	if err != nil {
		return nil, err
	}
	for _, c := range have {
		if !want[c.Name] {
			tg.progress("%s: removing container %s (no longer in the file)", p.Host, c.Name)
			if err := tg.docker.Remove(ctx, c.Name); err != nil {
				return nil, err
			}
		}
	}
	return fresh, nil
}
