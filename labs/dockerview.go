package labs

import (
	"context"
	"strings"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/topology"
)

// DockerView is what Docker held, at one moment, for the labs whose
// names start with a prefix: a class's copies, read in one list
// (ReadDockerView) rather than one per host of each copy. Docker matches
// every container of the machine against each list's filters, so at a
// class's size the lists, not the labs, were what grew.
type DockerView struct {
	prefix string
	byHost map[[2]string][]containers.Info // lab, host
}

// ReadDockerView reads every container marked as a lab's whose name
// starts with prefix, running or not, with its PID.
func ReadDockerView(ctx context.Context, prefix string) (*DockerView, error) {
	dc, err := containers.Connect(ctx)
	if err != nil {
		return nil, err
	}
	defer dc.Close()
	all, err := dc.ListPrefixed(ctx, prefix, map[string]string{labelLab: "", labelHost: ""})
	if err != nil {
		return nil, err
	}
	c := &DockerView{prefix: prefix, byHost: map[[2]string][]containers.Info{}}
	for _, i := range all {
		k := [2]string{i.Labels[labelLab], i.Labels[labelHost]}
		c.byHost[k] = append(c.byHost[k], i)
	}
	return c, nil
}

// containerLister is how a status finds a host's containers, and what
// it closes when done.
type containerLister struct {
	host  func(lab, host string) ([]containers.Info, error)
	close func()
}

// covers reports whether c holds every container of t, should it exist.
func (c *DockerView) covers(t *topology.Topology) bool {
	for _, n := range t.Containers {
		if !strings.HasPrefix(t.DockerName(n.Name), c.prefix) {
			return false
		}
	}
	return true
}

// lister lists from c when it covers t, else from Docker, one list per
// host, taking the PIDs up recorded (pids) where they still hold.
func (c *DockerView) lister(ctx context.Context, t *topology.Topology, pids map[string]int) (containerLister, error) {
	if c != nil && c.covers(t) {
		return containerLister{host: func(lab, host string) ([]containers.Info, error) {
			return c.byHost[[2]string{lab, host}], nil
		}}, nil
	}
	dc, err := connectDocker(ctx, t)
	if dc == nil {
		return containerLister{}, err
	}
	return containerLister{
		host: func(lab, host string) ([]containers.Info, error) {
			return dc.ListHinted(ctx, map[string]string{labelLab: lab, labelHost: host}, pids)
		},
		close: func() { dc.Close() },
	}, err
}
