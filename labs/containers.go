package labs

import (
	"context"
	"fmt"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/topology"
)

// applyContainers converges the host's containers and their veths, and
// removes this lab's containers on the host that the plan no longer names.
func applyContainers(ctx context.Context, p *topology.HostPlan, tg target) error {
	want := map[string]bool{}
	for _, c := range p.Containers {
		want[c.Name] = true
		_, pid, err := tg.docker.Ensure(ctx, containers.Spec{
			Name: c.Name, Image: c.Image, Command: c.Command, Hostname: c.Name,
			Labels: map[string]string{LabelLab: p.Lab, LabelHost: p.Host, LabelNode: c.Name},
		}, LabelLab)
		if err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
		for _, i := range c.Interfaces {
			err := containers.Plumb(containers.Link{
				HostNetns: tg.netnsPath(), HostVeth: i.HostVeth, ContainerPid: pid,
				Name: i.Name, Address: i.Address, MAC: i.MAC, MTU: i.MTU, DefaultRoute: i.DefaultRoute,
			})
			if err != nil {
				return fmt.Errorf("container %s %s: %w", c.Name, i.Name, err)
			}
		}
	}
	have, err := tg.docker.List(ctx, map[string]string{LabelLab: p.Lab, LabelHost: p.Host})
	if err != nil {
		return err
	}
	for _, c := range have {
		if !want[c.Name] {
			tg.progress("%s: removing container %s (no longer in the file)", p.Host, c.Name)
			if err := tg.docker.Remove(ctx, c.Name); err != nil {
				return err
			}
		}
	}
	return nil
}
