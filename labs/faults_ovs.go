package labs

import (
	"context"
	"maps"
	"strconv"

	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// The faults OVSDB holds, through libovsdb like the rest of the lab: a
// tunnel's key (options:key) and remote (options:remote_ip), a port's
// VLAN tag, the MTU OVS asks of a netdev host's NIC and br-phy
// (mtu_request), the qdisc OVS must leave on an impaired veth, and a
// tunnel taken down. OVSDB has no admin state for a port, and a VXLAN
// port is no kernel device to set down: a tunnel is taken down the way a
// broken one goes down, its interface losing the vxlan type, so vswitchd
// cannot open it ("could not open network device") until
// `ovs-vsctl set interface PORT type=vxlan` puts it back.
//
// Each is a change to the bridges the plan wants, which Apply converges:
// the fault's own value while it is applied, the value found there while
// its stage holds it (so up neither repairs nor re-breaks it).

// applyOVS converges rec's host to its plan with the faults recorded on
// it held as found, and rec's own change made.
func (e *faultEnv) applyOVS(ctx context.Context, rec *appliedFault) error {
	p := e.plans[rec.Host]
	oc, err := ovs.Connect(ctx, e.j.st.hostLocation(rec.Host, e.ovsdb).ovsdb)
	if err != nil {
		return err
	}
	defer oc.Close()
	nic, err := e.nic(p)
	if err != nil {
		return err
	}
	bridges, err := holdOVS(ctx, oc, p, e.j.holds().onHost(rec.Host), ovsBridges(p, nic), rec)
	if err != nil {
		return err
	}
	if err := oc.Apply(ctx, p.Lab, bridges); err != nil {
		return err
	}
	// vswitchd acts on the change before the fault goes on: it
	// reconfigures on every link event too, and one seen before this
	// change (the NIC's MTU set next, say) would apply the old
	// mtu_request again.
	return oc.Sync(ctx)
}

// ovsPorts is host's ports as OVS reports them, by name.
func (e *faultEnv) ovsPorts(ctx context.Context, host string) (map[string]ovs.PortStatus, error) {
	oc, err := ovs.Connect(ctx, e.j.st.hostLocation(host, e.ovsdb).ovsdb)
	if err != nil {
		return nil, err
	}
	defer oc.Close()
	return portsByName(ctx, oc, e.j.st.Lab)
}

func portsByName(ctx context.Context, oc *ovs.Client, lab string) (map[string]ovs.PortStatus, error) {
	bs, err := oc.Status(ctx, lab)
	if err != nil {
		return nil, err
	}
	out := map[string]ovs.PortStatus{}
	for _, b := range bs {
		for _, p := range b.Ports {
			out[p.Name] = p
		}
	}
	return out, nil
}

// holdOVS patches bridges, host p's plan, with what the faults recs
// hold: applying's own value for it, the value found in OVSDB for the
// others. A port that is not there (yet) keeps the plan's value: what is
// made anew is made as the file says.
func holdOVS(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, recs holds, bridges []ovs.Bridge, applying *appliedFault) ([]ovs.Bridge, error) {
	var mine holds
	for _, r := range recs {
		if ovsHeld(r, p) {
			mine = append(mine, r)
		}
	}
	if len(mine) == 0 && (applying == nil || !ovsHeld(applying, p)) {
		return bridges, nil
	}
	cur, err := portsByName(ctx, oc, p.Lab)
	if err != nil {
		return nil, err
	}
	for _, r := range mine {
		if applying == nil || !sameChange(r, applying) {
			patchOVS(bridges, r, cur, false)
		}
	}
	if applying != nil && ovsHeld(applying, p) {
		patchOVS(bridges, applying, cur, true)
	}
	return bridges, nil
}

// ovsHeld reports whether fault r has a part in OVSDB on host p.
func ovsHeld(r *appliedFault, p *topology.HostPlan) bool {
	switch r.Kind {
	case topology.FaultMTU:
		return !r.Router && p.Datapath == topology.DatapathNetdev
	case topology.FaultDown:
		return r.Peer != ""
	case topology.FaultKey, topology.FaultRemote, topology.FaultVLAN, topology.FaultImpair:
		return true
	}
	return false
}

// patchOVS sets what r holds in bridges: r's own value (set), else the
// value of cur, the ports as found.
func patchOVS(bridges []ovs.Bridge, r *appliedFault, cur map[string]ovs.PortStatus, set bool) {
	port := findPort(bridges, r.Link)
	have, found := cur[r.Link]
	if !set && !found {
		return
	}
	switch r.Kind {
	case topology.FaultMTU:
		// OVS asks nothing of the NIC or br-phy: the NIC keeps the MTU the
		// fault (or a student's `ip link`) gives it, and br-phy follows it.
		if port != nil {
			port.MTU = pick(set, 0, have.MTURequest)
		}
		if br := findBridge(bridges, topology.PhysBridge); br != nil {
			if phy, ok := cur[topology.PhysBridge]; set || ok {
				br.LocalMTU = pick(set, 0, phy.MTURequest)
			}
		}
	case topology.FaultDown:
		if port != nil {
			port.Type = pickString(set, "", have.Type)
		}
	case topology.FaultKey, topology.FaultRemote:
		if port == nil {
			return
		}
		key := map[string]string{topology.FaultKey: "key", topology.FaultRemote: "remote_ip"}[r.Kind]
		port.Options = maps.Clone(port.Options)
		v, ok := r.Set, true
		if !set {
			v, ok = have.Options[key]
		}
		if ok {
			port.Options[key] = v
		} else {
			delete(port.Options, key)
		}
	case topology.FaultVLAN:
		if port != nil {
			tag, _ := strconv.Atoi(r.Set)
			port.Tag = pick(set, tag, have.Tag)
		}
	case topology.FaultImpair:
		if port != nil {
			port.KeepQdisc = true
		}
	}
}

func pick(set bool, mine, found int) int {
	if set {
		return mine
	}
	return found
}

func pickString(set bool, mine, found string) string {
	if set {
		return mine
	}
	return found
}

// findPort returns the port called name in bridges, or nil.
func findPort(bridges []ovs.Bridge, name string) *ovs.Port {
	for i := range bridges {
		for j := range bridges[i].Ports {
			if bridges[i].Ports[j].Name == name {
				return &bridges[i].Ports[j]
			}
		}
	}
	return nil
}

func findBridge(bridges []ovs.Bridge, name string) *ovs.Bridge {
	for i := range bridges {
		if bridges[i].Name == name {
			return &bridges[i]
		}
	}
	return nil
}
