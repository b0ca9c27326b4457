package trace

import (
	"net/netip"

	"github.com/ovslab/ovslab/topology"
)

// sender works out the packet's source address and, unless --size gave
// one, its size: the sender's station on dst's network, else the one its
// default route leaves by, else its first; the size is that interface's
// MTU, a full-size packet.
func (w *walker) sender(start Position, pkt Packet) (netip.Addr, int) {
	node := start.Node
	if node == "" {
		node = start.Host
	}
	s := w.senderStation(node, pkt.Dst)
	size := pkt.Size
	if s == nil {
		if size == 0 {
			size = topology.ContainerMTU
		}
		return netip.Addr{}, size
	}
	if size == 0 {
		size = s.mtu
	}
	return s.addr.Addr(), size
}

// senderStation is the station of node a packet to dst leaves by.
func (w *walker) senderStation(node string, dst netip.Addr) *station {
	ss := w.stationsOf(node)
	for i := range ss {
		if ss[i].addr.Masked().Contains(dst) {
			return &ss[i]
		}
	}
	for i := range ss {
		if ss[i].defGW.IsValid() {
			return &ss[i]
		}
	}
	if len(ss) > 0 {
		return &ss[0]
	}
	return nil
}

// inLab reports whether a is in one of the lab's subnets.
func (w *walker) inLab(a netip.Addr) bool {
	for _, n := range w.t.Networks {
		if n.Subnet.Contains(a) {
			return true
		}
	}
	return false
}
