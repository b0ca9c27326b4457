package labs

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"syscall"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/vishvananda/netlink"
)

func toIPNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// errNoLink is what withLink returns when the link is missing.
var errNoLink = errors.New("no such link")

// withLink runs fn with a netlink handle in netns ns ("" = current) and the
// link named link, looked up fresh: a Link object from earlier may describe
// a device that was since moved or remade.
func withLink(ns, link string, fn func(h *netlink.Handle, l netlink.Link) error) error {
	hns, err := nsutil.OpenNamed(ns)
	if err != nil {
		return err
	}
	defer hns.Close()
	h := hns.Handle
	l, err := h.LinkByName(link)
	if err != nil {
		return fmt.Errorf("%s: %w: %v", link, errNoLink, err)
	}
	return fn(h, l)
}

// addrReplace puts address p on link in netns ns and brings the link up.
func addrReplace(ns, link string, p netip.Prefix) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		if err := h.AddrReplace(l, &netlink.Addr{IPNet: toIPNet(p)}); err != nil {
			return fmt.Errorf("%s: address %s: %w", link, p, err)
		}
		return h.LinkSetUp(l)
	})
}

// addrSet makes want the only IPv4 addresses of link in netns ns and
// brings it up: for links wholly the lab's (gateway ports, br-phy, the
// router's segments), where an address the file no longer names must go.
func addrSet(ns, link string, want ...netip.Prefix) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		if err := setAddrs(h, l, want); err != nil {
			return fmt.Errorf("%s: %w", link, err)
		}
		return h.LinkSetUp(l)
	})
}

// setAddrs makes want the only IPv4 addresses of l.
func setAddrs(h *netlink.Handle, l netlink.Link, want []netip.Prefix) error {
	have, err := nsutil.Dump(func() ([]netlink.Addr, error) { return h.AddrList(l, netlink.FAMILY_V4) })
	if err != nil {
		return err
	}
	for _, a := range have {
		ip, _ := netip.AddrFromSlice(a.IP.To4())
		ones, _ := a.Mask.Size()
		if !slices.Contains(want, netip.PrefixFrom(ip, ones)) {
			if err := h.AddrDel(l, &a); err != nil {
				return fmt.Errorf("remove address %s: %w", a.IPNet, err)
			}
		}
	}
	for _, p := range want {
		if err := h.AddrReplace(l, &netlink.Addr{IPNet: toIPNet(p)}); err != nil {
			return fmt.Errorf("address %s: %w", p, err)
		}
	}
	return nil
}

// addrDel removes address p from link if it is there.
func addrDel(ns, link string, p netip.Prefix) error {
	err := withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		err := h.AddrDel(l, &netlink.Addr{IPNet: toIPNet(p)})
		if err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) && !errors.Is(err, syscall.ENODEV) {
			return fmt.Errorf("%s: remove address %s: %w", link, p, err)
		}
		return nil
	})
	if errors.Is(err, errNoLink) {
		return nil // no link, no address
	}
	return err
}

// defaultRoute makes the default route of netns ns go via gw on link.
func defaultRoute(ns, link string, gw netip.Addr) error {
	return addRoutes(ns, link, []SavedRoute{{Dst: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Gw: gw}})
}

// linkMTU returns link's MTU in netns ns.
func linkMTU(ns, link string) (int, error) {
	mtu := 0
	err := withLink(ns, link, func(_ *netlink.Handle, l netlink.Link) error {
		mtu = l.Attrs().MTU
		return nil
	})
	return mtu, err
}

// setLinkMTU sets link's MTU in netns ns and brings it up.
func setLinkMTU(ns, link string, mtu int) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		return setMTUUp(h, l, mtu)
	})
}

// linkWithAddr returns the name of the link in netns ns that holds addr.
func linkWithAddr(ns string, addr netip.Addr) (string, error) {
	hns, err := nsutil.OpenNamed(ns)
	if err != nil {
		return "", err
	}
	defer hns.Close()
	h := hns.Handle
	addrs, err := nsutil.Dump(func() ([]netlink.Addr, error) { return h.AddrList(nil, netlink.FAMILY_V4) })
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

// linkUp brings link in netns ns up.
func linkUp(ns, link string) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		if err := h.LinkSetUp(l); err != nil {
			return fmt.Errorf("%s up: %w", link, err)
		}
		return nil
	})
}

// arpIgnore is the sysctl net.ipv4.conf.NIC.arp_ignore.
func arpIgnore(nic string) string { return "net/ipv4/conf/" + nic + "/arp_ignore" }
