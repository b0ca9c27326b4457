package topology

import "net/netip"

// WANAddr is the address the emulated internet holds: the first one of
// emulation.wan.
func (t *Topology) WANAddr() netip.Addr { return t.Emulation.WAN.Masked().Addr().Next() }

// WANAddrs returns the emulated internet's address (the first of
// emulation.wan) and the router's address on it (the last usable one).
func (t *Topology) WANAddrs() (wan, router netip.Prefix) {
	p := t.Emulation.WAN.Masked()
	base := p.Addr().As4()
	n := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	last := n | (1<<(32-p.Bits()) - 1) - 1 // the one before broadcast
	r := netip.AddrFrom4([4]byte{byte(last >> 24), byte(last >> 16), byte(last >> 8), byte(last)})
	return netip.PrefixFrom(p.Addr().Next(), p.Bits()), netip.PrefixFrom(r, p.Bits())
}
