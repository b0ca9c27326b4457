package containers

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// converge fixes whatever differs on an existing, correctly paired link,
// whose ends host and ctr and the container's loopback lo were just read;
// nil ones are looked up by name (after a create the objects held before
// are stale, and a stale index acts on the wrong interface).
func (h *handles) converge(l Link, host, ctr, lo netlink.Link) error {
	var err error
	if host == nil {
		if host, err = mustLink(h.host, l.HostVeth, "host veth"); err != nil {
			return err
		}
	}
	if ctr == nil {
		if ctr, err = mustLink(h.ctr, l.Name, "container interface"); err != nil {
			return err
		}
	}
	if l.Mark != "" && host.Attrs().Alias != l.Mark {
		if err := h.host.LinkSetAlias(host, l.Mark); err != nil {
			return fmt.Errorf("mark %s: %w", l.HostVeth, err)
		}
	}
	if l.MAC != nil && !bytes.Equal(ctr.Attrs().HardwareAddr, l.MAC) {
		if err := h.ctr.LinkSetHardwareAddr(ctr, l.MAC); err != nil {
			return fmt.Errorf("set MAC %s on %s: %w", l.MAC, l.Name, err)
		}
		l.changed("MAC %s→%s", ctr.Attrs().HardwareAddr, l.MAC)
	}
	if l.MTU > 0 {
		if old := host.Attrs().MTU; old != l.MTU {
			if err := h.host.LinkSetMTU(host, l.MTU); err != nil {
				return fmt.Errorf("set MTU %d on %s: %w", l.MTU, l.HostVeth, err)
			}
			l.changed("mtu %d→%d", old, l.MTU)
		}
		if old := ctr.Attrs().MTU; old != l.MTU {
			if err := h.ctr.LinkSetMTU(ctr, l.MTU); err != nil {
				return fmt.Errorf("set MTU %d on %s: %w", l.MTU, l.Name, err)
			}
			l.changed("mtu %d→%d", old, l.MTU)
		}
	}
	// Both ends: each shapes what it sends, so each direction is impaired.
	mtu := l.MTU
	if mtu == 0 {
		mtu = ctr.Attrs().MTU
	}
	hostImpair := l.Impair
	if l.HostImpair != nil {
		hostImpair = *l.HostImpair
	}
	for _, q := range []struct {
		h      *netlink.Handle
		link   netlink.Link
		known  RootQdiscs
		impair Impairment
		held   bool
	}{{h.host, host, l.HostQdiscs, hostImpair, l.Hold.HostQdisc}, {h.ctr, ctr, nil, l.Impair, false}} {
		if q.held {
			continue
		}
		changed, err := convergeQdisc(q.h, q.link, q.known, mtu, q.impair)
		if err != nil {
			return err
		}
		if changed {
			l.changed("impairment %s", impairWords(q.impair))
		}
	}
	if !l.Hold.Address {
		if err := h.convergeAddr(l, ctr); err != nil {
			return err
		}
	}
	// Up before routes: a gateway is only reachable through a link that is
	// up and has its connected route.
	// A link that goes down loses its permanent neighbours, not its alias.
	flushed := ctr.Attrs().Flags&net.FlagUp == 0
	if lo == nil {
		if lo, err = mustLink(h.ctr, "lo", "container loopback"); err != nil {
			return err
		}
	}
	for _, x := range []struct {
		h    *netlink.Handle
		link netlink.Link
	}{{h.host, host}, {h.ctr, ctr}, {h.ctr, lo}} {
		if x.link == host && l.Hold.HostState {
			continue
		}
		if x.link.Attrs().Flags&net.FlagUp == 0 {
			if err := x.h.LinkSetUp(x.link); err != nil {
				return fmt.Errorf("set %s up: %w", x.link.Attrs().Name, err)
			}
			l.changed("%s up", x.link.Attrs().Name)
		}
	}
	if !l.Hold.Route {
		if err := h.convergeRoute(l, ctr); err != nil {
			return err
		}
	}
	if err := h.hostNS.TxChecksumOff(l.HostVeth); err != nil {
		return err
	}
	if err := h.ctrNS.TxChecksumOff(l.Name); err != nil {
		return err
	}
	return h.convergeNeighbours(ctr, l, flushed)
}

// convergeNeighbours gives the container interface l's permanent
// neighbours (nsutil.SetNamedNeighbours), looking again at an interface
// found down: it lost them.
func (h *handles) convergeNeighbours(ctr netlink.Link, l Link, flushed bool) error {
	if !l.Address.IsValid() {
		return nil
	}
	what, err := h.ctrNS.SetNamedNeighbours(ctr, l.Address.Masked(), l.Neighbours, flushed)
	if what != "" {
		l.changed("%s", what)
	}
	return err
}

// convergeAddr leaves want as the interface's only address, apart from
// IPv6 link-local ones the kernel manages.
func (h *handles) convergeAddr(l Link, ctr netlink.Link) error {
	want := normPrefix(l.Address)
	addrs, err := nsutil.Dump(func() ([]netlink.Addr, error) { return h.ctr.AddrList(ctr, netlink.FAMILY_ALL) })
	if err != nil {
		return fmt.Errorf("list addresses of %s: %w", ctr.Attrs().Name, err)
	}
	have := false
	for _, a := range addrs {
		p := prefixOf(a.IPNet)
		switch {
		case want.IsValid() && p == want:
			have = true
		case p.Addr().Is6() && p.Addr().IsLinkLocalUnicast():
		default:
			if err := h.ctr.AddrDel(ctr, &a); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
				return fmt.Errorf("remove unwanted address %s from %s: %w", p, ctr.Attrs().Name, err)
			}
			l.changed("address %s removed", p)
		}
	}
	if want.IsValid() && !have {
		if err := h.ctr.AddrAdd(ctr, &netlink.Addr{IPNet: ipNet(want)}); err != nil {
			return fmt.Errorf("add address %s to %s: %w", want, ctr.Attrs().Name, err)
		}
		l.changed("address %s added", want)
	}
	return nil
}

// convergeRoute makes gw the default route through ctr, or removes the
// default routes we would have added when gw is invalid. Routes the kernel
// or router advertisements made are not ours to remove.
func (h *handles) convergeRoute(l Link, ctr netlink.Link) error {
	gw := l.DefaultRoute
	have := false
	// Both families in one dump.
	routes, err := nsutil.Dump(func() ([]netlink.Route, error) { return h.ctr.RouteList(ctr, netlink.FAMILY_ALL) })
	if err != nil {
		return fmt.Errorf("list routes of %s: %w", ctr.Attrs().Name, err)
	}
	for _, r := range routes {
		if !isDefault(r) {
			continue
		}
		if gw.IsValid() && !have && ipAddr(r.Gw) == gw.Unmap() {
			have = true
			continue
		}
		if r.Protocol != unix.RTPROT_BOOT && r.Protocol != unix.RTPROT_STATIC {
			continue
		}
		if err := h.ctr.RouteDel(&r); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("remove default route via %s on %s: %w", r.Gw, ctr.Attrs().Name, err)
		}
		l.changed("default route via %s removed", r.Gw)
	}
	if gw.IsValid() && !have {
		// Replace, not add: another interface's default route (say from an
		// earlier Plumb of eth1) is taken over rather than being an error.
		r := &netlink.Route{LinkIndex: ctr.Attrs().Index, Gw: net.IP(gw.Unmap().AsSlice())}
		if err := h.ctr.RouteReplace(r); err != nil {
			return fmt.Errorf("default route via %s on %s: %w", gw, ctr.Attrs().Name, err)
		}
		l.changed("default route via %s set", gw)
	}
	return nil
}

func isDefault(r netlink.Route) bool {
	if r.Dst == nil {
		return true
	}
	ones, _ := r.Dst.Mask.Size()
	return ones == 0
}

// linkByName returns nil, nil for a missing link.
func linkByName(h *netlink.Handle, name string) (netlink.Link, error) {
	l, err := h.LinkByName(name)
	if isNotFound(err) {
		return nil, nil
	}
	return l, err
}

func mustLink(h *netlink.Handle, name, what string) (netlink.Link, error) {
	l, err := linkByName(h, name)
	if err == nil && l == nil {
		err = errors.New("not found")
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, name, err)
	}
	return l, nil
}

func isNotFound(err error) bool {
	var nf netlink.LinkNotFoundError
	return errors.As(err, &nf) || errors.Is(err, unix.ENODEV)
}

func normPrefix(p netip.Prefix) netip.Prefix {
	if !p.IsValid() {
		return p
	}
	return netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
}

func ipAddr(ip net.IP) netip.Addr {
	a, _ := netip.AddrFromSlice(ip)
	return a.Unmap()
}

func prefixOf(n *net.IPNet) netip.Prefix {
	if n == nil {
		return netip.Prefix{}
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(ipAddr(n.IP), ones)
}

// ipNet keeps the host bits (10.0.1.10/24, not 10.0.1.0/24): netlink takes
// the interface address from IP.
func ipNet(p netip.Prefix) *net.IPNet {
	a := p.Addr()
	return &net.IPNet{IP: net.IP(a.AsSlice()), Mask: net.CIDRMask(p.Bits(), a.BitLen())}
}
