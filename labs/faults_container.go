package labs

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// The faults of a container's link and of the container itself, through
// netlink (Plumb) and the Docker API like the rest of the lab: a wrong
// address, a wrong default route, an impairment on the host's end of the
// link (what the container receives), a container stopped. The host veth
// taken down (down, flap) is in faults_link.go.

// plumb converges rec's container link with f's change made and what the
// other faults hold left as found.
func (e *faultEnv) plumb(ctx context.Context, f topology.Fault, rec *appliedFault) error {
	p := e.plans[rec.Host]
	ip, ok := planIface(p, rec.Node, rec.Iface)
	if !ok {
		return fmt.Errorf("%s has no interface %s on %s", rec.Node, rec.Iface, rec.Host)
	}
	id, pid, err := e.runningPID(ctx, rec.Docker)
	if err != nil {
		return err
	}
	loc := e.j.st.hostLocation(rec.Host, e.ovsdb)
	ns, err := nsutil.OpenNamed(loc.netns)
	if err != nil {
		return err
	}
	defer ns.Close()
	var others holds
	for _, h := range e.j.holds() {
		if !sameChange(h, rec) {
			others = append(others, h)
		}
	}
	link := containerLink(loc.netnsPath(), pid, ip)
	link.HostNS, link.Mark, link.ContainerID = ns, netnsMark(p.Lab, rec.Node), id
	link.Hold = others.link(rec.Host, rec.Docker, ip)
	switch f.Kind {
	case topology.FaultRoute:
		link.DefaultRoute, link.Hold.Route = f.Via, false
	case topology.FaultAddress:
		link.Address, link.Hold.Address = f.Address, false
		// The kernel drops the routes through a link that loses its
		// last address; the default route comes back where its gateway
		// is still on the link.
		if !link.Hold.Route && link.DefaultRoute.IsValid() && !f.Address.Masked().Contains(link.DefaultRoute) {
			link.DefaultRoute = netip.Addr{}
		}
	case topology.FaultImpair:
		imp := impairment(f.Impair)
		link.HostImpair, link.Hold.HostQdisc = &imp, false
	}
	_, err = containers.Plumb(link)
	return err
}

// link is what the faults h hold on a container interface: Plumb leaves
// those parts as it finds them.
func (h holds) link(host, docker string, ip topology.InterfacePlan) containers.LinkHold {
	var out containers.LinkHold
	for _, f := range h {
		if f.Host != host || f.Router {
			continue
		}
		switch {
		case (f.Kind == topology.FaultDown || f.Kind == topology.FaultFlap) && f.Link == ip.HostVeth:
			out.HostState = true
		case f.Kind == topology.FaultImpair && f.Link == ip.HostVeth:
			out.HostQdisc = true
		case f.Kind == topology.FaultAddress && f.Docker == docker && f.Iface == ip.Name:
			out.Address = true
		case f.Kind == topology.FaultRoute && f.Docker == docker:
			out.Route = true // the default route is the container's, whichever link holds it
		}
	}
	return out
}

// labContainer is the lab's container docker as Docker lists it.
func (e *faultEnv) labContainer(ctx context.Context, docker string) (containers.Info, error) {
	if e.dc == nil {
		return containers.Info{}, fmt.Errorf("container %s: Docker is not reachable", docker)
	}
	cs, err := e.dc.List(ctx, map[string]string{labelLab: e.j.st.Lab})
	if err != nil {
		return containers.Info{}, err
	}
	for _, c := range cs {
		if c.Name == docker {
			return c, nil
		}
	}
	return containers.Info{}, fmt.Errorf("container %s is missing; run ovslab up %s", docker, e.j.st.Lab)
}

// runningPID returns the ID and PID of the lab's container docker, which must
// be running.
func (e *faultEnv) runningPID(ctx context.Context, docker string) (id string, pid int, err error) {
	c, err := e.labContainer(ctx, docker)
	if err != nil {
		return "", 0, err
	}
	if c.Pid <= 0 {
		return "", 0, fmt.Errorf("container %s is %s, not running; run ovslab up %s", docker, c.State, e.j.st.Lab)
	}
	return c.ID, c.Pid, nil
}
