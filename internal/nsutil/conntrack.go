package nsutil

import (
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ConntrackFlushSource forgets the tracked IPv4 connections that came
// from p: a flow the kernel tracks keeps the NAT it started with, so a
// rule removed would otherwise change nothing until it times out.
//
// Equivalent to: `conntrack -D -s $p` (for a prefix).
func (n *NS) ConntrackFlushSource(p netip.Prefix) error {
	f := &netlink.ConntrackFilter{}
	if err := f.AddIPNet(netlink.ConntrackOrigSrcIP, toIPNet(p.Masked())); err != nil {
		return err
	}
	if _, err := n.Handle.ConntrackDeleteFilters(netlink.ConntrackTable, unix.AF_INET, f); err != nil {
		return fmt.Errorf("conntrack: forget flows from %s: %w", p, err)
	}
	return nil
}
