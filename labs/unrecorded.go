package labs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/ovs"
)

// NoStateSource is the Source of a lab found by its marks alone.
const NoStateSource = "no state: found by its marks"

// Unrecorded is a lab that has objects marked as its own on this machine
// but no usable state (after a reboot, a cleaned /run, a crash): `down`
// removes it by its marks and `up` adopts it.
type Unrecorded struct {
	Lab   string
	mode  string
	hosts []string
}

// FindUnrecorded lists the unrecorded labs: those with marked namespaces
// (emulated), labelled containers, or marked rows in the OVSDB a real host
// uses (when one answers), and no readable state.
func FindUnrecorded(ctx context.Context, d Daemons) ([]Unrecorded, error) {
	byLab := map[string]*Unrecorded{}
	get := func(lab string) *Unrecorded {
		if byLab[lab] == nil {
			byLab[lab] = &Unrecorded{Lab: lab, mode: ModeReal}
		}
		return byLab[lab]
	}
	marked, err := markedNetns("")
	if err != nil {
		return nil, err
	}
	for lab, netns := range marked {
		u := get(lab)
		u.mode, u.hosts = ModeEmulated, netnsHosts(lab, netns)
	}
	if dc, err := containers.Connect(ctx); err == nil {
		cs, err := dc.List(ctx, map[string]string{labelLab: ""})
		dc.Close()
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			u := get(c.Labels[labelLab])
			if h := c.Labels[labelHost]; h != "" && !slices.Contains(u.hosts, h) && u.mode == ModeReal {
				u.hosts = append(u.hosts, h)
			}
		}
	}
	if oc, err := ovs.Connect(ctx, ovsdbEndpoint(d.OVSDB)); err == nil {
		names, err := oc.Labs(ctx)
		oc.Close()
		if err != nil {
			return nil, err
		}
		for _, lab := range names {
			get(lab)
		}
	}
	var out []Unrecorded
	for lab, u := range byLab {
		if _, err := LoadState(lab); err == nil {
			continue // recorded: Labs lists it
		}
		slices.Sort(u.hosts)
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b Unrecorded) int { return strings.Compare(a.Lab, b.Lab) })
	return out, nil
}

// netnsHosts are the emulated hosts among a lab's namespaces.
func netnsHosts(lab string, netns []string) []string {
	var hosts []string
	for _, n := range netns {
		if node := strings.TrimPrefix(n, lab+"-"); node != routerNode && node != wanNode {
			hosts = append(hosts, node)
		}
	}
	return hosts
}

// statusByMarks is the status of a lab without usable state: its marked
// namespaces, OVS bridges, containers and rules, with what the state
// would have told (the file, the wanted objects) unknown. errNoLab when
// nothing is marked as the lab's either.
func statusByMarks(ctx context.Context, lab string, o StatusOptions) (*Status, error) {
	marked, err := markedNetns(lab)
	if err != nil {
		return nil, err
	}
	out := &Status{Lab: lab, Mode: ModeReal, Source: NoStateSource, NoState: true}
	var cs []containers.Info
	dc, derr := containers.Connect(ctx)
	if derr == nil {
		cs, derr = dc.List(ctx, map[string]string{labelLab: lab})
		dc.Close()
	}
	hosts := map[string]*HostStatus{}
	host := func(name string) *HostStatus {
		if hosts[name] == nil {
			hosts[name] = &HostStatus{Name: name}
		}
		return hosts[name]
	}
	if netns := marked[lab]; len(netns) > 0 {
		out.Mode = ModeEmulated
		for _, h := range netnsHosts(lab, netns) {
			hs := host(h)
			hs.Netns, hs.OVSDB = NetnsName(lab, h), ovs.Endpoint(HostRunDir(lab, h))
			hostRowsByMarks(ctx, hs, lab)
		}
	} else {
		// A real host is one host, this machine: named by its containers.
		name := ""
		if len(cs) > 0 {
			name = cs[0].Labels[labelHost]
		}
		hs := &HostStatus{Name: name, OVSDB: ovsdbEndpoint(o.OVSDB)}
		hostRowsByMarks(ctx, hs, lab)
		if rules, err := nat.List("", lab); err == nil {
			for _, r := range rules {
				hs.NAT = append(hs.NAT, r.String())
			}
		}
		if len(hs.Bridges) > 0 || len(hs.NAT) > 0 {
			hosts[name] = hs
		}
	}
	for _, c := range cs {
		hs := host(c.Labels[labelHost])
		hs.Containers = append(hs.Containers, ContainerStatus{Name: c.Name, ID: shortID(c.ID), Image: c.Image, State: c.State})
	}
	if len(hosts) == 0 {
		err := fmt.Errorf("lab %q: %w (ovslab status lists the labs here)", lab, errNoLab)
		if derr != nil {
			return nil, fmt.Errorf("%w; containers not looked for: %v", err, derr)
		}
		return nil, usageIfMissing(err)
	}
	for _, h := range slices.Sorted(maps.Keys(hosts)) {
		hs := hosts[h]
		hs.Problems = append(hs.Problems, "no state here: `ovslab down "+lab+"` removes the lab by its marks, `ovslab up FILE` adopts it")
		out.Hosts = append(out.Hosts, *hs)
	}
	return out, nil
}

// hostRowsByMarks fills in the lab's bridges from the host's OVSDB, if it
// answers.
func hostRowsByMarks(ctx context.Context, hs *HostStatus, lab string) {
	oc, err := ovs.Connect(ctx, hs.OVSDB)
	if err != nil {
		hs.Problems = append(hs.Problems, err.Error())
		return
	}
	defer oc.Close()
	hs.OVSDBUp = true
	if hs.Bridges, err = oc.Status(ctx, lab); err != nil {
		hs.Problems = append(hs.Problems, err.Error())
	}
}
