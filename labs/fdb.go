package labs

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// Static MACs in the bridges. Permanent neighbours spare every probe its
// ARP, but a bridge still floods a frame to a MAC it has not learned: to
// every port of the network on every host, and each probe's first frame
// was to such a MAC. With n members that is n² deliveries again, and at
// 4×250 containers check's first run took 4 times its second. The lab
// knows where each MAC is, so with neighbours: static every bridge holds
// each MAC of its network as a static entry (ovs-appctl fdb/add) on the
// port that leads to it: the container's veth, the gateway's or host
// port's internal port, or the tunnel to the MAC's host. Learning does
// not move a static entry, and vswitchd forgets those of a port it
// removes or re-tags, so every up puts back what is missing.

// fdbKey is one MAC on one VLAN, as the bridge's table keys it.
type fdbKey struct {
	vlan int
	mac  string
}

// teachBridgeMACs makes the static MAC entries of the host's bridges what
// the plan says, over one control connection: missing or misplaced
// entries added, and static entries the plan no longer has (neighbours:
// dynamic, a container gone) removed. A port vswitchd has not opened gets
// none, and neither does a port whose VLAN tag is not the plan's (a
// fault holds it): OVS forwards to a static entry's port without checking
// its tag, so the entry would leak the VLAN the fault took it off.
func teachBridgeMACs(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun) error {
	if run.runDir == "" || len(p.Bridges) == 0 {
		return nil
	}
	sock, err := ovs.VswitchdControl(run.runDir)
	if err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	status, err := oc.Status(ctx, p.Lab)
	if err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	ports := map[string]map[string]ovs.PortStatus{}
	for _, b := range status {
		ports[b.Name] = map[string]ovs.PortStatus{}
		for _, pt := range b.Ports {
			ports[b.Name][pt.Name] = pt
		}
	}
	shows := make([]ovs.AppctlCall, len(p.Bridges))
	for i, b := range p.Bridges {
		shows[i] = ovs.AppctlCall{Command: "fdb/show", Args: []string{b.Name}}
	}
	tables, err := ovs.AppctlAll(ctx, sock, shows)
	if err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	var calls []ovs.AppctlCall
	for i := range p.Bridges {
		b := &p.Bridges[i]
		calls = append(calls, fdbChanges(b, ports[b.Name], bridgeMACs(p, b, ports[b.Name]), staticMACs(tables[i]))...)
	}
	if _, err := ovs.AppctlAll(ctx, sock, calls); err != nil {
		return fmt.Errorf("host %s: static MACs: %w", p.Host, err)
	}
	return nil
}

// bridgeMACs is where each neighbour of b's network is reached from this
// host: the port's name, by MAC and VLAN. Empty with neighbours: dynamic.
func bridgeMACs(p *topology.HostPlan, b *topology.BridgePlan, ports map[string]ovs.PortStatus) map[fdbKey]string {
	if len(b.Neighbours) == 0 {
		return nil
	}
	here := map[fdbKey]string{} // this host's ports, by what they hold
	for _, g := range []*topology.GatewayPort{b.Gateway, b.HostPort} {
		if g != nil {
			here[fdbKey{0, g.MAC().String()}] = g.Port
		}
	}
	for _, c := range p.Containers {
		for _, i := range c.Interfaces {
			if i.Bridge == b.Name && i.MAC != nil {
				here[fdbKey{i.VLAN, i.MAC.String()}] = i.HostVeth
			}
		}
	}
	tunnels := map[string]string{}
	for _, t := range b.Tunnels {
		tunnels[t.RemoteHost] = t.Port
	}
	out := map[fdbKey]string{}
	for _, nb := range b.Neighbours {
		k := fdbKey{nb.VLAN, nb.MAC.String()}
		port, vlan := tunnels[nb.Host], 0 // a tunnel is untagged: it carries every VLAN
		if nb.Host == p.Host {
			port, vlan = here[k], nb.VLAN
		}
		if pt, ok := ports[port]; ok && pt.OFPort > 0 && pt.Tag == vlan {
			out[k] = port
		}
	}
	return out
}

// staticMACs reads fdb/show: the port number of each static entry.
func staticMACs(show string) map[fdbKey]string {
	out := map[fdbKey]string{}
	for _, line := range strings.Split(show, "\n") {
		f := strings.Fields(line)
		if len(f) != 4 || f[3] != "static" {
			continue
		}
		vlan, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		if mac, err := net.ParseMAC(f[2]); err == nil {
			out[fdbKey{vlan, mac.String()}] = f[0]
		}
	}
	return out
}

// fdbChanges are the fdb/add and fdb/del calls that turn have (port
// numbers) into want (port names) on bridge b.
func fdbChanges(b *topology.BridgePlan, ports map[string]ovs.PortStatus, want, have map[fdbKey]string) []ovs.AppctlCall {
	var out []ovs.AppctlCall
	for k, port := range want {
		if have[k] != strconv.Itoa(ports[port].OFPort) {
			out = append(out, ovs.AppctlCall{Command: "fdb/add", Args: []string{b.Name, port, strconv.Itoa(k.vlan), k.mac}})
		}
	}
	for k := range have {
		if _, ok := want[k]; !ok {
			out = append(out, ovs.AppctlCall{Command: "fdb/del", Args: []string{b.Name, strconv.Itoa(k.vlan), k.mac}})
		}
	}
	return out
}
