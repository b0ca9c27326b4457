package topology

import (
	"net"
	"net/netip"
	"strings"
)

// specialRanges cannot hold a lab's hosts, networks or emulated internet.
var specialRanges = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "\"this network\" (0.0.0.0/8)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback (127.0.0.0/8)"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (169.254.0.0/16)"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast (224.0.0.0/4)"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved space (240.0.0.0/4)"},
}

func specialRange(p netip.Prefix) string {
	for _, r := range specialRanges {
		if r.prefix.Overlaps(p) {
			return r.what
		}
	}
	return ""
}

// addr reads a plain IPv4 address.
func (p *parser) addr(f field, path string) netip.Addr {
	s, ok := p.str(f, path)
	if !ok {
		return netip.Addr{}
	}
	if pfx, err := netip.ParsePrefix(s); err == nil {
		p.errAt(f.val, path, "%s has a prefix length; give the plain address, e.g. %s", s, pfx.Addr())
		return netip.Addr{}
	}
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		p.errAt(f.val, path, "%q is not an IPv4 address", s)
	case !a.Is4():
		p.errAt(f.val, path, "%s is not IPv4; ovslab labs are IPv4 only", s)
	case specialRange(netip.PrefixFrom(a, 32)) != "":
		p.errAt(f.val, path, "%s is in %s; use a unicast address", s, specialRange(netip.PrefixFrom(a, 32)))
	default:
		return a
	}
	return netip.Addr{}
}

// hostPrefix reads a host's underlay: its own IPv4 address with the
// subnet's prefix length.
func (p *parser) hostPrefix(f field, path string) netip.Prefix {
	s, ok := p.str(f, path)
	if !ok {
		return netip.Prefix{}
	}
	if !strings.Contains(s, "/") {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			p.errAt(f.val, path, "%s needs a prefix length, e.g. %s/24", s, s)
			return netip.Prefix{}
		}
	}
	pfx, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		p.errAt(f.val, path, "%q is not an IPv4 address with prefix length (e.g. 172.16.10.100/24)", s)
	case !pfx.Addr().Is4():
		p.errAt(f.val, path, "%s is not IPv4; ovslab labs are IPv4 only", s)
	case pfx.Bits() == 32:
		p.errAt(f.val, path, "a /32 leaves no room for the gateway; give the subnet's prefix length, e.g. %s/24", pfx.Addr())
	case specialRange(pfx) != "":
		p.errAt(f.val, path, "%s is in %s; use a unicast subnet", s, specialRange(pfx))
	case pfx.Bits() <= 30 && pfx.Addr() == pfx.Masked().Addr():
		p.errAt(f.val, path, "%s is the network address of %s; give this host's own address", pfx.Addr(), pfx.Masked())
	case pfx.Bits() <= 30 && pfx.Addr() == broadcast(pfx):
		p.errAt(f.val, path, "%s is the broadcast address of %s; give this host's own address", pfx.Addr(), pfx.Masked())
	default:
		return pfx
	}
	return netip.Prefix{}
}

// subnet reads an IPv4 network (address with host bits zero) of at most
// maxBits prefix length.
func (p *parser) subnet(f field, path string, maxBits int) netip.Prefix {
	s, ok := p.str(f, path)
	if !ok {
		return netip.Prefix{}
	}
	if !strings.Contains(s, "/") {
		if a, err := netip.ParseAddr(s); err == nil && a.Is4() {
			p.errAt(f.val, path, "%s needs a prefix length, e.g. %s/24", s, netip.PrefixFrom(a, 24).Masked().Addr())
			return netip.Prefix{}
		}
	}
	pfx, err := netip.ParsePrefix(s)
	switch {
	case err != nil:
		p.errAt(f.val, path, "%q is not an IPv4 subnet (e.g. 10.0.1.0/24)", s)
	case !pfx.Addr().Is4():
		p.errAt(f.val, path, "%s is not IPv4; ovslab labs are IPv4 only", s)
	case pfx != pfx.Masked():
		p.errAt(f.val, path, "%s is not a network address; did you mean %s?", s, pfx.Masked())
	case pfx.Bits() > maxBits:
		p.errAt(f.val, path, "%s is too small: a /%d leaves no room for a gateway and a host; use /%d or shorter", s, pfx.Bits(), maxBits)
	case specialRange(pfx) != "":
		p.errAt(f.val, path, "%s overlaps %s; use a private range such as 10.0.0.0/8", s, specialRange(pfx))
	default:
		return pfx
	}
	return netip.Prefix{}
}

// mac reads a unicast Ethernet address.
func (p *parser) mac(f field, path string) net.HardwareAddr {
	s, ok := p.str(f, path)
	if !ok {
		return nil
	}
	hw, err := net.ParseMAC(s)
	switch {
	case err != nil || len(hw) != 6:
		p.errAt(f.val, path, "%q is not a MAC address (e.g. 02:42:0a:00:01:0a)", s)
	case hw[0]&1 != 0:
		p.errAt(f.val, path, "%s is a multicast MAC (lowest bit of the first byte set); use a unicast one such as 02:...", s)
	case isZero(hw):
		p.errAt(f.val, path, "%s is the all-zero MAC; use a real unicast one such as 02:...", s)
	default:
		return hw
	}
	return nil
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// broadcast is the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// usable reports whether a is a host address of IPv4 prefix p: inside it and,
// for /30 and larger, neither the network nor the broadcast address.
func usable(p netip.Prefix, a netip.Addr) bool {
	if !p.Contains(a) {
		return false
	}
	return p.Bits() > 30 || (a != p.Masked().Addr() && a != broadcast(p))
}

// DefaultMAC is Docker's MAC for an IPv4 address: 02:42 and the four bytes
// (10.0.1.10 → 02:42:0a:00:01:0a). It is nil for anything but IPv4.
func DefaultMAC(a netip.Addr) net.HardwareAddr {
	if !a.Is4() {
		return nil
	}
	b := a.As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
}
