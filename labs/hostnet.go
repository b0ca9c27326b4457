package labs

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"github.com/vishvananda/netlink"
)

func toIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// addrReplace puts address p on link in netns ns and brings the link up.
func addrReplace(ns, link string, p netip.Prefix) error {
	h, err := handleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return fmt.Errorf("%s: %w", link, err)
	}
	if err := h.AddrReplace(l, &netlink.Addr{IPNet: toIPNet(p)}); err != nil {
		return fmt.Errorf("%s: address %s: %w", link, p, err)
	}
	return h.LinkSetUp(l)
}

// addrDel removes address p from link if it is there.
func addrDel(ns, link string, p netip.Prefix) error {
	h, err := handleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return nil // no link, no address
	}
	err = h.AddrDel(l, &netlink.Addr{IPNet: toIPNet(p)})
	if err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.ENODEV) {
		return fmt.Errorf("%s: remove address %s: %w", link, p, err)
	}
	return nil
}

// defaultRoute makes the default route of netns ns go via gw on link.
func defaultRoute(ns, link string, gw netip.Addr) error {
	h, err := handleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return fmt.Errorf("%s: %w", link, err)
	}
	r := &netlink.Route{LinkIndex: l.Attrs().Index, Gw: gw.AsSlice(), Dst: toIPNet(netip.PrefixFrom(netip.IPv4Unspecified(), 0))}
	if err := h.RouteReplace(r); err != nil {
		return fmt.Errorf("default route via %s dev %s: %w", gw, link, err)
	}
	return nil
}

// linkMTU returns link's MTU in netns ns.
func linkMTU(ns, link string) (int, error) {
	h, err := handleAt(ns)
	if err != nil {
		return 0, err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", link, err)
	}
	return l.Attrs().MTU, nil
}

// setLinkMTU sets link's MTU in netns ns and brings it up.
func setLinkMTU(ns, link string, mtu int) error {
	h, err := handleAt(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return fmt.Errorf("%s: %w", link, err)
	}
	return setMTUUp(h, l, mtu)
}

// linkWithAddr returns the name of the link in netns ns that holds addr.
func linkWithAddr(ns string, addr netip.Addr) (string, error) {
	h, err := handleAt(ns)
	if err != nil {
		return "", err
	}
	defer h.Close()
	addrs, err := h.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return "", err
	}
	for _, a := range addrs {
		if ip, ok := netip.AddrFromSlice(a.IP); ok && ip.Unmap() == addr {
			l, err := h.LinkByIndex(a.LinkIndex)
			if err != nil {
				return "", err
			}
			return l.Attrs().Name, nil
		}
	}
	return "", fmt.Errorf("no interface holds %s", addr)
}
