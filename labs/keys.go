package labs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// What up does for host ports, VLAN tags, names and impairments, apart
// from the lifecycle in up.go and apply.go that calls it.

// untaggedOnly is Port.trunks for an untagged port that must not carry
// VLANs: OVS treats a port without a tag as a trunk of every VLAN, so a
// container could otherwise reach a tagged tenant by sending tagged frames.
var untaggedOnly = []int{0}

// containerPort is the OVS port of one container interface: an access
// port of its VLAN, or an untagged port limited to untagged frames.
// An impaired veth's qdisc is ovslab's, and OVS is told to leave it. The
// ovs-docker keys let its commands find the port.
func containerPort(container string, i topology.InterfacePlan) ovs.Port {
	p := ovs.Port{
		Name: i.HostVeth, Tag: i.VLAN, KeepQdisc: i.Impair != nil,
		ExternalIDs: ovs.ContainerExternalIDs(container, i.Name),
	}
	if i.VLAN == 0 {
		p.Trunks = untaggedOnly
	}
	return p
}

// addrPort is the internal port holding a gateway's or a host port's
// address; both are untagged.
func addrPort(g *topology.GatewayPort) ovs.Port {
	return ovs.Port{Name: g.Port, Type: "internal", MTU: g.MTU, Trunks: untaggedOnly}
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

// applyHostPorts gives each host port of the plan its address once
// vswitchd has made its kernel interface.
func applyHostPorts(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun) error {
	for _, b := range p.Bridges {
		hp := b.HostPort
		if hp == nil {
			continue
		}
		if err := oc.WaitInterface(ctx, hp.Port); err != nil {
			return fmt.Errorf("host %s: host port %s: %w", p.Host, hp.Port, err)
		}
		if err := addrSet(run.netns, hp.Port, hp.Address); err != nil {
			return fmt.Errorf("host %s: host port %w", p.Host, err)
		}
	}
	return nil
}

// hostPortProblems reports host ports of the plan that lack their address.
func hostPortProblems(netns string, p *topology.HostPlan) []string {
	var out []string
	for _, b := range p.Bridges {
		hp := b.HostPort
		if hp == nil {
			continue
		}
		have, err := linkAddrs(netns, hp.Port)
		switch {
		case errors.Is(err, errNoLink):
			out = append(out, fmt.Sprintf("host port %s of %s is missing", hp.Port, b.Network))
		case err != nil:
			out = append(out, fmt.Sprintf("host port %s: %v", hp.Port, err))
		case !slices.Contains(have, hp.Address):
			out = append(out, fmt.Sprintf("host port %s lacks its address %s (has %v)", hp.Port, hp.Address, have))
		}
	}
	return out
}

// linkAddrs lists the IPv4 addresses of link in netns ns.
func linkAddrs(ns, link string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	err := withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		addrs, err := h.AddrList(l, netlink.FAMILY_V4)
		for _, a := range addrs {
			ip, _ := netip.AddrFromSlice(a.IP.To4())
			ones, _ := a.Mask.Size()
			out = append(out, netip.PrefixFrom(ip, ones))
		}
		return err
	})
	return out, err
}
