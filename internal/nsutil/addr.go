package nsutil

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"

	"github.com/vishvananda/netlink"
)

func toIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Addrs lists link's IPv4 addresses.
//
// Equivalent to: `ip -4 addr show dev $link`.
func (n *NS) Addrs(link string) ([]netip.Prefix, error) {
	l, err := n.Link(link)
	if err != nil {
		return nil, err
	}
	var out []netip.Prefix
	addrs, err := n.Handle.AddrList(l, netlink.FAMILY_V4)
	for _, a := range addrs {
		ip, _ := netip.AddrFromSlice(a.IP.To4())
		ones, _ := a.Mask.Size()
		out = append(out, netip.PrefixFrom(ip, ones))
	}
	return out, err
}

// AddrReplace puts address p on link and brings the link up.
//
// Equivalent to: `ip addr replace $p dev $link && ip link set $link up`.
func (n *NS) AddrReplace(link string, p netip.Prefix) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	have, err := n.Addrs(link)
	if err != nil {
		return fmt.Errorf("%s: %w", link, err)
	}
	if err := n.Handle.AddrReplace(l, &netlink.Addr{IPNet: toIPNet(p)}); err != nil {
		return fmt.Errorf("%s: address %s: %w", link, p, err)
	}
	if !slices.Contains(have, p) {
		n.changed(link, "address %s added", p)
	}
	return n.up(l)
}

// AddrSet makes want the only IPv4 addresses of link and brings it up.
//
// Equivalent to: `ip -4 addr flush dev $link`, `ip addr add $p dev $link`
// for each p of want, `ip link set $link up`; but an address that stays is
// never removed, even for a moment.
func (n *NS) AddrSet(link string, want ...netip.Prefix) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	if err := n.setAddrs(l, want); err != nil {
		return fmt.Errorf("%s: %w", link, err)
	}
	return n.up(l)
}

// SetAddrs is AddrSet without bringing link up: its up or down state
// stays as it is.
//
// Equivalent to: `ip -4 addr flush dev $link`, `ip addr add $p dev $link`
// for each p of want.
func (n *NS) SetAddrs(link string, want ...netip.Prefix) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	if err := n.setAddrs(l, want); err != nil {
		return fmt.Errorf("%s: %w", link, err)
	}
	return nil
}

func (n *NS) setAddrs(l netlink.Link, want []netip.Prefix) error {
	h := n.Handle
	have, err := Dump(func() ([]netlink.Addr, error) { return h.AddrList(l, netlink.FAMILY_V4) })
	if err != nil {
		return err
	}
	var kept []netip.Prefix
	for _, a := range have {
		ip, _ := netip.AddrFromSlice(a.IP.To4())
		ones, _ := a.Mask.Size()
		p := netip.PrefixFrom(ip, ones)
		if slices.Contains(want, p) {
			kept = append(kept, p)
			continue
		}
		if err := h.AddrDel(l, &a); err != nil {
			return fmt.Errorf("remove address %s: %w", a.IPNet, err)
		}
		n.changed(l.Attrs().Name, "address %s removed", p)
	}
	for _, p := range want {
		if slices.Contains(kept, p) {
			continue
		}
		if err := h.AddrReplace(l, &netlink.Addr{IPNet: toIPNet(p)}); err != nil {
			return fmt.Errorf("address %s: %w", p, err)
		}
		n.changed(l.Attrs().Name, "address %s added", p)
	}
	return nil
}

// AddrDel removes address p from link if it is there; a missing link has
// no address to remove.
//
// Equivalent to: `ip addr del $p dev $link`.
func (n *NS) AddrDel(link string, p netip.Prefix) error {
	l, err := n.Link(link)
	if errors.Is(err, ErrNoLink) {
		return nil
	}
	if err != nil {
		return err
	}
	err = n.Handle.AddrDel(l, &netlink.Addr{IPNet: toIPNet(p)})
	switch {
	case err == nil:
		n.changed(link, "address %s removed", p)
	case !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.ENODEV):
		return fmt.Errorf("%s: remove address %s: %w", link, p, err)
	}
	return nil
}

// LinkWithAddr returns the name of the link that holds addr.
//
// Equivalent to: `ip -o addr show to $addr` (the link).
func (n *NS) LinkWithAddr(addr netip.Addr) (string, error) {
	addrs, err := Dump(func() ([]netlink.Addr, error) { return n.Handle.AddrList(nil, netlink.FAMILY_V4) })
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			l, err := n.Handle.LinkByIndex(a.LinkIndex)
			if err != nil {
				return "", err
			}
			return l.Attrs().Name, nil
		}
	}
	return "", fmt.Errorf("no interface holds %s", addr)
}
