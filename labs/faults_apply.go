package labs

import (
	"context"
	"fmt"
	"strconv"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
)

// faultEnv is what applying a stage's faults on this machine needs: the
// lab as planned for the hosts this machine applies, and the daemons.
type faultEnv struct {
	Reporter
	j     *journal
	t     *topology.Topology
	plans map[string]*topology.HostPlan // the hosts this machine applies
	dc    *containers.Client            // nil where the lab has no containers
	ovsdb string                        // a real host's --ovsdb
}

// applyStage applies the faults of the current stage that are not
// applied yet, in file order, each recorded before it is made, and then
// marks the stage applied. Faults that act on another machine's host (a
// real-host lab) or on the router (which only emulated labs have) are
// left to that host, or out.
func (e *faultEnv) applyStage(ctx context.Context) error {
	name := e.j.stage()
	if e.j.stageApplied() {
		return nil
	}
	s, _, ok := e.t.StageByName(name)
	if !ok {
		return nil
	}
	for i, f := range s.Faults {
		if e.j.applied(name, i) {
			continue
		}
		recs, skip, err := e.resolve(ctx, f, name, i)
		switch {
		case err != nil:
			return fmt.Errorf("stage %s: %s: %w", name, f, err)
		case skip != "":
			e.notef("stage %s: %s: %s", name, f, skip)
			continue
		}
		for _, rec := range recs {
			if err := e.apply(ctx, f, rec); err != nil {
				return fmt.Errorf("stage %s: %s: %w", name, f, err)
			}
		}
	}
	return e.j.save(func(st *State) { st.StageApplied = true })
}

// apply makes one change of fault f: it reads what is there, records it,
// changes it, and records that the change is made.
func (e *faultEnv) apply(ctx context.Context, f topology.Fault, rec *appliedFault) error {
	rec.Was = e.read(ctx, rec)
	rec.Applied = false
	if err := e.j.recordFault(rec); err != nil {
		return err
	}
	if err := e.change(ctx, f, rec); err != nil {
		return err
	}
	rec.Applied = true
	return e.j.recordFault(rec)
}

// resolve turns fault f into the changes it makes on this machine, named
// as the host holds them, or says why this machine makes none.
func (e *faultEnv) resolve(ctx context.Context, f topology.Fault, stage string, index int) ([]*appliedFault, string, error) {
	tg := f.Target
	rec := appliedFault{Stage: stage, Index: index, Kind: f.Kind, On: f.On, Host: tg.Host, Router: tg.Router,
		Node: tg.Node, Iface: tg.Iface, Network: tg.Network, Peer: tg.Peer}
	if f.Kind == topology.FaultNATOff {
		n, _ := e.t.NetworkByName(tg.Network)
		rec.Host = n.Gateway.Host
	}
	if tg.Router && e.j.st.Mode != ModeEmulated {
		return nil, "the router exists only in emulated labs: left out", nil
	}
	p, ok := e.plans[rec.Host]
	if !ok {
		return nil, fmt.Sprintf("acts on %s, which this machine is not: ovslab there applies it", rec.Host), nil
	}
	if tg.Node != "" {
		rec.Docker = e.t.DockerName(tg.Node)
		if ip, ok := planIface(p, tg.Node, tg.Iface); ok {
			rec.Link = ip.HostVeth
		}
	}
	one := func() ([]*appliedFault, string, error) { return []*appliedFault{&rec}, "", nil }
	switch f.Kind {
	case topology.FaultMTU:
		rec.Set = strconv.Itoa(f.MTU)
		if tg.Router {
			rec.Link = tg.Host // the router's end of the host's link is named after the host
			return one()
		}
		nic, err := e.nic(p)
		rec.Link = nic
		return []*appliedFault{&rec}, "", err
	case topology.FaultDown:
		rec.Set = "down"
		switch {
		case tg.Node != "":
		case tg.Peer != "":
			rec.Link, rec.Set = tunnelPort(p, tg.Network, tg.Peer), "no vxlan type"
		case tg.Network != "":
			rec.Link = tg.Network // a gateway or host port is named like its network
		default:
			nic, err := e.nic(p)
			rec.Link = nic
			return []*appliedFault{&rec}, "", err
		}
		return one()
	case topology.FaultKey, topology.FaultRemote:
		var out []*appliedFault
		for _, b := range p.Bridges {
			for _, tp := range b.Tunnels {
				if b.Network != tg.Network || (tg.Peer != "" && tp.RemoteHost != tg.Peer) {
					continue
				}
				r := rec
				r.Link, r.Peer = tp.Port, tp.RemoteHost
				r.Set = strconv.FormatUint(uint64(f.Key), 10)
				if f.Kind == topology.FaultRemote {
					r.Set = f.Remote.String()
				}
				out = append(out, &r)
			}
		}
		return out, "", nil
	case topology.FaultNATOff:
		for _, n := range p.NAT {
			if n.Network == tg.Network {
				r := masqueradeRule(n)
				rec.Rule, rec.Set = &r, "no MASQUERADE"
			}
		}
		return one()
	case topology.FaultForwardOff:
		rec.Set = "0"
		return one()
	case topology.FaultVLAN:
		rec.Set = strconv.Itoa(f.Tag)
		return one()
	case topology.FaultImpair:
		rec.Set = f.Impair.String()
		return one()
	case topology.FaultStop:
		rec.Link, rec.Iface, rec.Set = "", "", "stopped"
		return one()
	case topology.FaultRoute:
		rec.Link, rec.Iface, rec.Set = "", "", "via "+f.Via.String()
		if c, ok := e.t.ContainerByName(tg.Node); ok {
			for _, it := range c.Interfaces {
				if n, ok := e.t.NetworkByName(it.Network); ok && n.Subnet.Contains(f.Via) {
					rec.Iface = it.Name
					break
				}
			}
		}
		return one()
	case topology.FaultAddress:
		rec.Set = f.Address.String()
		return one()
	case topology.FaultDrop:
		r := dropRule(f)
		rec.Rule, rec.Set = &r, "DROP"
		return one()
	case topology.FaultFlap:
		rec.Set = fmt.Sprintf("every %s for %s", f.Period, f.For)
		return one()
	}
	return nil, "", fmt.Errorf("unknown fault kind %q", f.Kind)
}

// change makes the change rec records.
func (e *faultEnv) change(ctx context.Context, f topology.Fault, rec *appliedFault) error {
	loc := e.j.st.hostLocation(rec.Host, e.ovsdb)
	switch f.Kind {
	case topology.FaultMTU:
		if rec.Router {
			return nsutil.InNamed(NetnsName(e.j.st.Lab, routerNode), func(n *nsutil.NS) error { return n.SetMTU(rec.Link, f.MTU) })
		}
		// On a netdev host OVS owns the NIC's MTU (mtu_request): it goes
		// first, or vswitchd would raise the NIC again at its next turn.
		if e.plans[rec.Host].Datapath == topology.DatapathNetdev {
			if err := e.applyOVS(ctx, rec); err != nil {
				return err
			}
		}
		return nsutil.InNamed(loc.netns, func(n *nsutil.NS) error { return n.SetMTU(rec.Link, f.MTU) })
	case topology.FaultDown:
		if rec.Peer != "" {
			return e.applyOVS(ctx, rec)
		}
		return nsutil.InNamed(loc.netns, func(n *nsutil.NS) error { return n.LinkDown(rec.Link) })
	case topology.FaultKey, topology.FaultRemote, topology.FaultVLAN:
		return e.applyOVS(ctx, rec)
	case topology.FaultImpair:
		// OVS takes off a root qdisc it did not make unless told to keep it.
		if err := e.applyOVS(ctx, rec); err != nil {
			return err
		}
		return e.plumb(ctx, f, rec)
	case topology.FaultRoute, topology.FaultAddress:
		return e.plumb(ctx, f, rec)
	case topology.FaultDrop:
		return e.applyRules(rec)
	case topology.FaultNATOff:
		if err := e.applyRules(rec); err != nil {
			return err
		}
		// Flows already tracked keep their NAT: they are forgotten, so
		// NAT is off for every packet from now on.
		n, _ := e.t.NetworkByName(rec.Network)
		return nsutil.InNamed(loc.netns, func(ns *nsutil.NS) error { return ns.ConntrackFlushSource(n.Subnet) })
	case topology.FaultForwardOff:
		_, err := nat.SetIPForward(loc.netnsPath(), false)
		return err
	case topology.FaultStop:
		c, err := e.labContainer(ctx, rec.Docker)
		if err != nil {
			return err
		}
		return e.dc.Stop(ctx, c.ID)
	case topology.FaultFlap:
		return e.startFlap(f, rec, loc)
	}
	return fmt.Errorf("unknown fault kind %q", f.Kind)
}

// read says what rec's change replaces, as found before it: for the
// record and for status, not for undoing (undoing converges to the file).
func (e *faultEnv) read(ctx context.Context, rec *appliedFault) string {
	loc := e.j.st.hostLocation(rec.Host, e.ovsdb)
	netns := loc.netns
	if rec.Router {
		netns = NetnsName(e.j.st.Lab, routerNode)
	}
	var was string
	switch rec.Kind {
	case topology.FaultMTU:
		_ = nsutil.InNamed(netns, func(n *nsutil.NS) error {
			mtu, err := n.LinkMTU(rec.Link)
			was = strconv.Itoa(mtu)
			return err
		})
	case topology.FaultDown, topology.FaultFlap:
		if rec.Peer != "" {
			was = "vxlan"
			break
		}
		_ = nsutil.InNamed(netns, func(n *nsutil.NS) error {
			up, err := n.LinkIsUp(rec.Link)
			was = map[bool]string{true: "up", false: "down"}[up]
			return err
		})
	case topology.FaultKey, topology.FaultRemote, topology.FaultVLAN:
		ports, err := e.ovsPorts(ctx, rec.Host)
		if ps, ok := ports[rec.Link]; err == nil && ok {
			was = map[string]string{topology.FaultKey: ps.Options["key"], topology.FaultRemote: ps.Options["remote_ip"], topology.FaultVLAN: strconv.Itoa(ps.Tag)}[rec.Kind]
		}
	case topology.FaultForwardOff:
		if on, err := nat.IPForward(loc.netnsPath()); err == nil {
			was = map[bool]string{true: "1", false: "0"}[on]
		}
	case topology.FaultStop:
		if c, err := e.labContainer(ctx, rec.Docker); err == nil {
			was = c.State
		}
	}
	return was
}

// nic is host p's underlay NIC: the file's, else the one up moved the
// address from, else the one holding it.
func (e *faultEnv) nic(p *topology.HostPlan) (string, error) {
	if p.Interface != "" {
		return p.Interface, nil
	}
	if r := e.j.restore(p.Host); r.Underlay != nil {
		return r.Underlay.NIC, nil
	}
	var nic string
	err := nsutil.InNamed(e.j.st.hostLocation(p.Host, e.ovsdb).netns, func(n *nsutil.NS) (err error) {
		nic, err = n.LinkWithAddr(p.Underlay.Addr())
		return err
	})
	return nic, err
}

// planIface finds the plan of a container interface by node and name.
func planIface(p *topology.HostPlan, node, iface string) (topology.InterfacePlan, bool) {
	for _, c := range p.Containers {
		if c.Name != node {
			continue
		}
		for _, ip := range c.Interfaces {
			if ip.Name == iface {
				return ip, true
			}
		}
	}
	return topology.InterfacePlan{}, false
}

// tunnelPort is the port name of host p's tunnel of network to peer.
func tunnelPort(p *topology.HostPlan, network, peer string) string {
	for _, b := range p.Bridges {
		for _, tp := range b.Tunnels {
			if b.Network == network && tp.RemoteHost == peer {
				return tp.Port
			}
		}
	}
	return ""
}
