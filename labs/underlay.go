package labs

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/ovslab/ovslab/internal/nsutil"

	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// underlayMove records an underlay address (and the routes through its
// NIC) that `up` moved from the NIC onto br-phy, so `down` can put them back.
type underlayMove struct {
	NIC     string       `json:"nic"`
	Address netip.Prefix `json:"address"`
	Routes  []savedRoute `json:"routes,omitempty"`
}

// savedRoute is one IPv4 route of the main table that used the NIC.
type savedRoute = nsutil.Route

// underlayNIC returns the host's underlay interface: the one the file
// names, else the one `up` moved the address from, else the one holding it.
func underlayNIC(p *topology.HostPlan, run hostRun) (string, error) {
	if p.Interface != "" {
		return p.Interface, nil
	}
	if r := run.j.restore(p.Host); r.Underlay != nil {
		return r.Underlay.NIC, nil
	}
	name, err := run.ns.LinkWithAddr(p.Underlay.Addr())
	if err != nil {
		return "", fmt.Errorf("host %s: underlay %s: %w; set hosts.%s.interface", p.Host, p.Underlay, err, p.Host)
	}
	if name == topology.PhysBridge {
		return "", fmt.Errorf("host %s: underlay %s is on %s but not by this lab; set hosts.%s.interface to the NIC under it: %w", p.Host, p.Underlay, topology.PhysBridge, p.Host, errUnderlayOnPhy)
	}
	return name, nil
}

// errUnderlayOnPhy is underlayNIC finding the underlay address on br-phy
// with no record of having moved it there (see adoptNIC).
var errUnderlayOnPhy = errors.New("underlay address on br-phy")

// adoptNIC is underlayNIC for up: where the state that recorded moving
// the address onto the lab's br-phy is gone, the move is read off the host
// and recorded again; and the host's values from before the lab kept in
// OVSDB (see writeNotes) are recalled where the state lacks them.
func adoptNIC(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun) (string, error) {
	nic, err := underlayNIC(p, run)
	if errors.Is(err, errUnderlayOnPhy) {
		m, aerr := adoptUnderlay(ctx, oc, p.Lab, run.netns)
		switch {
		case aerr != nil:
			return "", fmt.Errorf("host %s: underlay %s on %s: %w", p.Host, p.Underlay, topology.PhysBridge, aerr)
		case m == nil:
			return "", err // not the lab's br-phy
		}
		nic, err = m.NIC, run.j.record(p.Host, func(r *hostRestore) bool {
			r.Underlay = m
			return true
		})
	}
	if err != nil {
		return "", err
	}
	return nic, recallNotes(ctx, oc, p, run, nic)
}

// underlayAddress puts the VTEP address where tunnels can use it. With
// the netdev datapath that is br-phy: OVS userspace tunnelling sends VXLAN
// only out of ports of its own bridges, so the address (and the routes
// through the NIC) move from the NIC onto br-phy. The kernel datapath needs
// no such bridge: it sends VXLAN from the kernel's own vxlan_sys_4789
// device, routed like any local packet, so the address stays on the NIC.
// Emulated hosts also get their default route via the router.
func underlayAddress(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun) error {
	nic := run.nic
	uplink := nic
	if p.Datapath == topology.DatapathNetdev {
		uplink = topology.PhysBridge
		if err := oc.WaitInterface(ctx, topology.PhysBridge); err != nil {
			return fmt.Errorf("host %s: %s: %w", p.Host, topology.PhysBridge, err)
		}
		if err := muteNICARP(p, run); err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
		if err := moveUnderlay(p, run); err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
		if err := writeNotes(ctx, oc, p, run); err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
	} else if run.emulated {
		if err := run.ns.AddrReplace(nic, p.Underlay); err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
	}
	if run.emulated {
		return run.ns.DefaultRoute(uplink, p.Gateway)
	}
	return nil
}

// muteNICARP stops the kernel answering ARP on the NIC under br-phy. OVS
// reads that NIC through a packet socket, so the kernel's own stack still
// sees every frame on it, and Linux by default (arp_ignore=0) answers ARP
// for any of its addresses on any interface: a peer asking for the VTEP
// address got two replies, the NIC's own MAC first. A peer that kept that
// one sent VXLAN to a MAC that is not br-phy's, which OVS does not
// decapsulate, and the tunnel into this host carried nothing until the
// host happened to ARP for the peer. With arp_ignore=1 the kernel answers
// on the NIC only for addresses on the NIC, which has none while the lab
// holds it; br-phy alone answers for the VTEP. down puts the value back.
func muteNICARP(p *topology.HostPlan, run hostRun) error {
	nic := run.nic
	old, err := nsutil.Sysctl(run.netnsPath(), arpIgnore(nic))
	if err != nil {
		return err
	}
	if !run.emulated {
		err := run.j.record(p.Host, func(r *hostRestore) bool {
			if _, ok := r.ARPIgnore[nic]; ok {
				return false
			}
			r.ARPIgnore[nic] = old
			return true
		})
		if err != nil {
			return err
		}
	}
	switch old {
	case "1", "2", "8": // each answers nothing on a NIC without addresses
		return nil
	}
	if _, err = nsutil.SetSysctl(run.netnsPath(), arpIgnore(nic), "1"); err != nil {
		return err
	}
	run.j.changed(p.Host, nic, "arp_ignore %s→1", old)
	return nil
}

// moveUnderlay moves the underlay address and the NIC's routes to br-phy,
// recording them first so an interrupted run can still be undone. Routes
// are re-added (from the record) on every up: a restarted ovs-vswitchd
// makes a fresh br-phy without them.
func moveUnderlay(p *topology.HostPlan, run hostRun) error {
	nic := run.nic
	moved := run.j.restore(p.Host).Underlay
	if moved == nil {
		routes, err := run.ns.Routes(nic)
		if err != nil {
			return err
		}
		moved = &underlayMove{NIC: nic, Address: p.Underlay, Routes: routes}
		err = run.j.record(p.Host, func(r *hostRestore) bool {
			r.Underlay = moved
			return true
		})
		if err != nil {
			return err
		}
	}
	if err := run.ns.AddrSet(topology.PhysBridge, p.Underlay); err != nil {
		return err
	}
	if err := run.ns.RouteReplace(topology.PhysBridge, moved.Routes...); err != nil {
		return err
	}
	return run.ns.AddrDel(nic, p.Underlay)
}

// restoreUnderlay puts a moved address and its routes back on the NIC.
func restoreUnderlay(ns string, m *underlayMove) error {
	return nsutil.InNamed(ns, func(n *nsutil.NS) error {
		if err := n.AddrReplace(m.NIC, m.Address); err != nil {
			return err
		}
		if err := n.RouteReplace(m.NIC, m.Routes...); err != nil {
			return err
		}
		return n.AddrDel(topology.PhysBridge, m.Address)
	})
}

// arpIgnore is the sysctl net.ipv4.conf.NIC.arp_ignore.
func arpIgnore(nic string) string { return "net/ipv4/conf/" + nic + "/arp_ignore" }
