package labs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
	"github.com/vishvananda/netlink"
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

// removeStaleSegments deletes router bridges of subnets no host uses any more.
func removeStaleSegments(router string, want []segment) error {
	hns, err := nsutil.OpenNamed(router)
	if err != nil {
		return err
	}
	defer hns.Close()
	h := hns.Handle
	links, err := nsutil.Dump(h.LinkList)
	if err != nil {
		return err
	}
	for _, l := range links {
		name := l.Attrs().Name
		if l.Type() != "bridge" || !strings.HasPrefix(name, segPrefix) || slices.ContainsFunc(want, func(s segment) bool { return s.bridge == name }) {
			continue
		}
		if err := h.LinkDel(l); err != nil {
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

// wanAddrs returns the emulated internet's address (the first of the
// prefix) and the router's address on it (the last usable one).
func wanAddrs(p netip.Prefix) (wan, router netip.Prefix) {
	p = p.Masked()
	base := p.Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	last := n | (1<<(32-p.Bits()) - 1) - 1 // the one before broadcast
	r := netip.AddrFrom4([4]byte{byte(last >> 24), byte(last >> 16), byte(last >> 8), byte(last)})
	return netip.PrefixFrom(p.Addr().Next(), p.Bits()), netip.PrefixFrom(r, p.Bits())
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
	if _, err := nat.SetIPForward(nsutil.Path(router), true); err != nil {
		return fmt.Errorf("router: %w", err)
	}
	mtu := t.Underlay.MTU
	segs := segments(t)
	if err := removeStaleSegments(router, segs); err != nil {
		return err
	}
	for _, s := range segs {
		if err := ensureSegment(router, s, mtu); err != nil {
			return err
		}
		for _, h := range s.hosts {
			hostNS := NetnsName(lab, h.Name)
			if err := ensureVeth(hostNS, h.Interface, router, h.Name, mtu); err != nil {
				return fmt.Errorf("underlay link of %s: %w", h.Name, err)
			}
			if err := setMaster(router, h.Name, s.bridge); err != nil {
				return err
			}
		}
	}
	return ensureWAN(t)
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

func ensureSegment(ns string, s segment, mtu int) error {
	hns, err := nsutil.OpenNamed(ns)
	if err != nil {
		return err
	}
	defer hns.Close()
	h := hns.Handle
	l, err := h.LinkByName(s.bridge)
	if err != nil {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: s.bridge, MTU: mtu}}
		if err := h.LinkAdd(br); err != nil {
			return fmt.Errorf("router bridge %s: %w", s.bridge, err)
		}
		if l, err = h.LinkByName(s.bridge); err != nil {
			return err
		}
	}
	if err := h.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("router bridge %s mtu: %w", s.bridge, err)
	}
	var want []netip.Prefix
	for _, gw := range s.gateways {
		want = append(want, netip.PrefixFrom(gw, s.subnet.Bits()))
	}
	if err := setAddrs(h, l, want); err != nil {
		return fmt.Errorf("router bridge %s: %w", s.bridge, err)
	}
	return h.LinkSetUp(l)
}

func setMaster(ns, link, bridge string) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		br, err := h.LinkByName(bridge)
		if err != nil {
			return fmt.Errorf("netns %s: %s: %w", ns, bridge, err)
		}
		if l.Attrs().MasterIndex == br.Attrs().Index {
			return nil
		}
		return h.LinkSetMaster(l, br)
	})
}

// ensureVeth makes a veth pair aName (in netns aNS) <-> bName (in bNS),
// both up with the given MTU. A lone end left by an interrupted run is
// deleted and the pair made again.
func ensureVeth(aNS, aName, bNS, bName string, mtu int) error {
	hans, err := nsutil.OpenNamed(aNS)
	if err != nil {
		return err
	}
	defer hans.Close()
	ha := hans.Handle
	hbns, err := nsutil.OpenNamed(bNS)
	if err != nil {
		return err
	}
	defer hbns.Close()
	hb := hbns.Handle
	la, errA := ha.LinkByName(aName)
	lb, errB := hb.LinkByName(bName)
	if errA != nil || errB != nil {
		// A lone end left by an interrupted run: only a veth is ours to remove.
		for _, x := range []struct {
			h *netlink.Handle
			l netlink.Link
		}{{ha, la}, {hb, lb}} {
			if x.l == nil {
				continue
			}
			if x.l.Type() != "veth" {
				return fmt.Errorf("%s exists and is a %s, not the lab's veth; remove or rename it", x.l.Attrs().Name, x.l.Type())
			}
			if err := x.h.LinkDel(x.l); err != nil {
				return fmt.Errorf("remove lone veth end %s: %w", x.l.Attrs().Name, err)
			}
		}
		if err := nsutil.AddVeth(hans, aName, hbns, bName, mtu, nil); err != nil {
			return err
		}
		// Look both ends up again: the objects above describe nothing real.
		if la, err = ha.LinkByName(aName); err != nil {
			return err
		}
		if lb, err = hb.LinkByName(bName); err != nil {
			return err
		}
	}
	// Underlay veths carry traffic into OVS's AF_PACKET socket on the host
	// side (and NAT'd TCP back from the WAN): same checksum trap as the
	// container veths. Only the netdev datapath needs it off; it stays off
	// for the kernel datapath too, where it costs a little CPU and nothing
	// else, so one fabric serves hosts of either datapath.
	return errors.Join(
		setMTUUp(ha, la, mtu),
		setMTUUp(hb, lb, mtu),
		nsutil.TxChecksumOff(nsutil.Path(aNS), aName),
		nsutil.TxChecksumOff(nsutil.Path(bNS), bName),
	)
}

func setMTUUp(h *netlink.Handle, l netlink.Link, mtu int) error {
	if l.Attrs().MTU != mtu {
		if err := h.LinkSetMTU(l, mtu); err != nil {
			return fmt.Errorf("%s mtu %d: %w", l.Attrs().Name, mtu, err)
		}
	}
	return h.LinkSetUp(l)
}

// ensureWAN builds the emulated internet: netns <lab>-wan holding the first
// address of emulation.wan, its default route back through the router. The
// router knows no route to the lab's container subnets, so only NAT'd
// traffic (sourced from a host's underlay address) gets an answer.
func ensureWAN(t *topology.Topology) error {
	router, wan := NetnsName(t.Name, routerNode), NetnsName(t.Name, wanNode)
	if err := ensureVeth(wan, "wan0", router, "wan", t.Underlay.MTU); err != nil {
		return fmt.Errorf("wan link: %w", err)
	}
	wanAddr, routerAddr := wanAddrs(t.Emulation.WAN)
	if err := addrSet(router, "wan", routerAddr); err != nil {
		return err
	}
	if err := addrSet(wan, "wan0", wanAddr); err != nil {
		return err
	}
	return defaultRoute(wan, "wan0", routerAddr.Addr())
}
