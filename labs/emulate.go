package labs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
)

// Names of the emulated nodes that are not hosts.
const (
	routerNode = "router"
	wanNode    = "wan"
)

// NetnsName is the netns of emulated node (a host, "router" or "wan").
func NetnsName(lab, node string) string { return lab + "-" + node }

// segment is one underlay L2 segment on the router: every host whose
// underlay address is in subnet hangs off the same Linux bridge.
type segment struct {
	bridge   string
	subnet   netip.Prefix
	gateways []netip.Addr
	hosts    []topology.Host
}

func segments(t *topology.Topology) []segment {
	by := map[netip.Prefix]*segment{}
	for _, h := range t.Hosts {
		p := h.Underlay.Masked()
		s := by[p]
		if s == nil {
			s = &segment{subnet: p}
			by[p] = s
		}
		s.hosts = append(s.hosts, h)
		if !containsAddr(s.gateways, h.Gateway) {
			s.gateways = append(s.gateways, h.Gateway)
		}
	}
	var out []segment
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].subnet.Addr().Less(out[j].subnet.Addr()) })
	for i := range out {
		// Named by subnet, so a removed subnet renames nothing; the dot
		// keeps it apart from the router's host-named veths ([a-z0-9-]).
		out[i].bridge = fmt.Sprintf("%s%08x", segPrefix, binary.BigEndian.Uint32(out[i].subnet.Addr().AsSlice()))
	}
	return out
}

const segPrefix = "s."

// routerObject names a link of the router for a person: a segment by its
// subnet, a host's or the WAN's link by where it leads.
func routerObject(link string) string {
	if hex, ok := strings.CutPrefix(link, segPrefix); ok {
		if v, err := strconv.ParseUint(hex, 16, 32); err == nil {
			return "segment " + netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
		}
	}
	return "link to " + link
}

// removeStaleSegments deletes router bridges of subnets no host uses any more.
func removeStaleSegments(router *nsutil.NS, want []segment) error {
	bridges, err := router.Bridges(segPrefix)
	if err != nil {
		return err
	}
	for _, name := range bridges {
		if slices.ContainsFunc(want, func(s segment) bool { return s.bridge == name }) {
			continue
		}
		if err := router.DeleteLink(name); err != nil {
			return fmt.Errorf("router: remove stale segment %s: %w", name, err)
		}
	}
	return nil
}

func containsAddr(list []netip.Addr, a netip.Addr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// buildFabric creates the emulated underlay: a netns per host, the router
// holding every hosts.*.gateway address with forwarding on, and the WAN
// behind it. It is idempotent, so a second `up` repairs a missing piece.
// The router has no default route: nothing in the lab can reach the
// machine's real uplink.
func buildFabric(j *journal, t *topology.Topology) error {
	lab := t.Name
	router := NetnsName(lab, routerNode)
	if err := claimNetns(j, emulatedNetns(t)); err != nil {
		return err
	}
	if old, err := nat.SetIPForward(nsutil.Path(router), true); err != nil {
		return fmt.Errorf("router: %w", err)
	} else if old != "1" {
		j.changed("", "ip_forward", "%s→1", old)
	}
	r, err := nsutil.OpenNamed(router)
	if err != nil {
		return err
	}
	defer r.Close()
	r.Changed = func(object, what string) { j.changed("", routerObject(object), "%s", what) }
	mtu := t.Underlay.MTU
	segs := segments(t)
	if err := removeStaleSegments(r, segs); err != nil {
		return err
	}
	for _, s := range segs {
		if err := ensureSegment(r, s, mtu); err != nil {
			return err
		}
		for _, h := range s.hosts {
			err := nsutil.InNamed(NetnsName(lab, h.Name), func(hn *nsutil.NS) error {
				hn.Changed = j.hook(h.Name)
				return ensureVeth(hn, h.Interface, r, h.Name, mtu, underlayHold(j, h.Name, h.Interface))
			})
			if err != nil {
				return fmt.Errorf("underlay link of %s: %w", h.Name, err)
			}
			if err := r.SetMaster(h.Name, s.bridge); err != nil {
				return fmt.Errorf("netns %s: %w", router, err)
			}
		}
	}
	return ensureWAN(j, t, r)
}

// emulatedNetns are the names of every netns an emulated lab makes.
func emulatedNetns(t *topology.Topology) []string {
	return append([]string{NetnsName(t.Name, routerNode), NetnsName(t.Name, wanNode)}, hostNetnsNames(t)...)
}

func hostNetnsNames(t *topology.Topology) []string {
	var out []string
	for _, h := range t.Hosts {
		out = append(out, NetnsName(t.Name, h.Name))
	}
	return out
}

// ensureSegment makes the router's Linux bridge of segment s, holding
// the segment's gateway addresses.
func ensureSegment(router *nsutil.NS, s segment, mtu int) error {
	if _, err := router.Link(s.bridge); err != nil {
		if err := router.AddBridge(s.bridge, mtu); err != nil {
			return fmt.Errorf("router bridge %s: %w", s.bridge, err)
		}
	}
	if err := router.SetMTU(s.bridge, mtu); err != nil {
		return fmt.Errorf("router bridge %s mtu: %w", s.bridge, err)
	}
	var want []netip.Prefix
	for _, gw := range s.gateways {
		want = append(want, netip.PrefixFrom(gw, s.subnet.Bits()))
	}
	if err := router.AddrSet(s.bridge, want...); err != nil {
		return fmt.Errorf("router bridge %w", err) // AddrSet's error starts with the bridge
	}
	return nil
}

// ensureVeth makes a veth pair aName (in netns a) <-> bName (in b), both
// up with the given MTU and TX checksum offload off, but for what hold
// keeps (an exercise's fault, faults_link.go). A lone end left by an
// interrupted run is deleted and the pair made again.
func ensureVeth(a *nsutil.NS, aName string, b *nsutil.NS, bName string, mtu int, hold vethHold) error {
	_, errA := a.Link(aName)
	_, errB := b.Link(bName)
	if errA != nil || errB != nil {
		// A lone end left by an interrupted run: only a veth is ours to remove.
		for _, end := range []struct {
			ns   *nsutil.NS
			name string
		}{{a, aName}, {b, bName}} {
			l, err := end.ns.Link(end.name)
			if err != nil {
				continue
			}
			if l.Type() != "veth" {
				return fmt.Errorf("%s exists and is a %s, not the lab's veth; remove or rename it", end.name, l.Type())
			}
			if err := end.ns.DeleteLink(end.name); err != nil {
				return fmt.Errorf("remove lone veth end %s: %w", end.name, err)
			}
		}
		if err := nsutil.AddVeth(a, aName, b, bName, mtu, nil); err != nil {
			return err
		}
		if a.Changed != nil {
			a.Changed(aName, "created")
		}
		hold = vethHold{} // a new pair is made as the file says
	}
	// Underlay veths carry traffic into OVS's AF_PACKET socket on the host
	// side (and NAT'd TCP back from the WAN): same checksum trap as the
	// container veths. Only the netdev datapath needs it off; it stays off
	// for the kernel datapath too, where it costs a little CPU and nothing
	// else, so one fabric serves hosts of either datapath.
	return errors.Join(
		hold.set(a, aName, mtu, hold.aMTU, hold.aState),
		hold.set(b, bName, mtu, hold.bMTU, false),
		a.TxChecksumOff(aName),
		b.TxChecksumOff(bName),
	)
}

// ensureWAN builds the emulated internet: netns <lab>-wan holding the first
// address of emulation.wan, its default route back through the router. The
// router knows no route to the lab's container subnets, so only NAT'd
// traffic (sourced from a host's underlay address) gets an answer.
func ensureWAN(j *journal, t *topology.Topology, router *nsutil.NS) error {
	wan, err := nsutil.OpenNamed(NetnsName(t.Name, wanNode))
	if err != nil {
		return err
	}
	defer wan.Close()
	wan.Changed = func(object, what string) { j.changed("", "the WAN's "+object, "%s", what) }
	if err := ensureVeth(wan, "wan0", router, "wan", t.Underlay.MTU, vethHold{}); err != nil {
		return fmt.Errorf("wan link: %w", err)
	}
	wanAddr, routerAddr := t.WANAddrs()
	if err := router.AddrSet("wan", routerAddr); err != nil {
		return err
	}
	if err := wan.AddrSet("wan0", wanAddr); err != nil {
		return err
	}
	return wan.DefaultRoute("wan0", routerAddr.Addr())
}
