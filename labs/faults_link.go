package labs

import (
	"net/netip"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// The faults of links, through netlink like the rest of the lab: an
// underlay NIC's MTU or state, the router's side of a host's link, a
// gateway or host port down, a container's host veth down. Here is what
// up does with them while their stage holds them.

// underlayUp sets the NIC's MTU and brings it up, leaving what a fault
// holds as it is.
func underlayUp(run hostRun, host, nic string, mtu int) error {
	h := run.j.holds()
	return vethHold{}.set(run.ns, nic, mtu, h.has(topology.FaultMTU, host, nic), h.linkDown(host, nic))
}

// underlayHeldDown reports whether a fault holds host's NIC down: its
// next hops cannot answer then, and up must not wait for them.
func underlayHeldDown(run hostRun, host string) bool {
	return run.nic != "" && run.j.holds().linkDown(host, run.nic)
}

// portAddr gives a gateway or host port its address, and brings it up
// unless a fault holds it down.
func portAddr(run hostRun, host, port string, addr netip.Prefix) error {
	if run.j.holds().linkDown(host, port) {
		return run.ns.SetAddrs(port, addr)
	}
	return run.ns.AddrSet(port, addr)
}

// vethHold says which ends of an emulated underlay link keep the MTU or
// state a fault gave them: a is the host's NIC, b the router's end.
type vethHold struct {
	aMTU, aState, bMTU bool
}

// underlayHold is what faults hold of host's emulated underlay link.
func underlayHold(j *journal, host, nic string) vethHold {
	h := j.holds()
	return vethHold{
		aMTU:   h.has(topology.FaultMTU, host, nic),
		aState: h.linkDown(host, nic),
		bMTU:   h.routerMTU(host),
	}
}

// set gives one end its MTU and brings it up, leaving the MTU (keepMTU)
// or the state (keepState) a fault holds.
func (vethHold) set(ns *nsutil.NS, link string, mtu int, keepMTU, keepState bool) error {
	switch {
	case keepMTU && keepState:
		return nil
	case keepMTU:
		return ns.LinkUp(link)
	case keepState:
		return ns.SetMTU(link, mtu)
	}
	return ns.SetMTUUp(link, mtu)
}
