package nsutil

import (
	"fmt"
	"net"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// AddVeth creates a veth pair aName (in a) <-> bName (in b), each end made
// directly in its netns under its final name: nothing ever appears in the
// caller's netns, and nothing has to be renamed or moved, which would
// change its index under a stale Link object. bMAC may be nil. The
// caller, who knows what the pair is for, reports it made.
//
// Equivalent to: `ip -n A link add $aName mtu $mtu type veth peer name $bName netns B mtu $mtu`.
func AddVeth(a *NS, aName string, b *NS, bName string, mtu int, bMAC net.HardwareAddr) error {
	v := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: aName, MTU: mtu},
		PeerName:         bName,
		PeerHardwareAddr: bMAC,
		PeerMTU:          uint32(mtu),
	}
	if a.fd.IsOpen() {
		v.Namespace = netlink.NsFd(a.fd)
	}
	if b.fd.IsOpen() {
		v.PeerNamespace = netlink.NsFd(b.fd)
	} else {
		cur, err := netns.Get()
		if err != nil {
			return err
		}
		defer cur.Close()
		v.PeerNamespace = netlink.NsFd(cur)
	}
	if err := a.Handle.LinkAdd(v); err != nil {
		return fmt.Errorf("create veth pair %s <-> %s: %w", aName, bName, err)
	}
	return nil
}
