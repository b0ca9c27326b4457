package nsutil

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Neighbours returns the resolved IPv4 neighbours on link.
//
// Equivalent to: `ip -4 neigh show dev $link` (without INCOMPLETE and FAILED ones).
func (n *NS) Neighbours(link string) (map[netip.Addr]net.HardwareAddr, error) {
	l, err := n.Link(link)
	if err != nil {
		return nil, err
	}
	ns, err := Dump(func() ([]netlink.Neigh, error) { return n.Handle.NeighList(l.Attrs().Index, netlink.FAMILY_V4) })
	if err != nil {
		return nil, fmt.Errorf("%s: neighbours: %w", link, err)
	}
	out := map[netip.Addr]net.HardwareAddr{}
	for _, nb := range ns {
		ip, ok := netip.AddrFromSlice(nb.IP.To4())
		if ok && len(nb.HardwareAddr) == 6 && nb.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) == 0 {
			out[ip] = nb.HardwareAddr
		}
	}
	return out, nil
}

// NeighbourEntry is one entry of the neighbour table.
type NeighbourEntry struct {
	MAC   net.HardwareAddr // nil while unresolved
	State string           // as ip prints it: REACHABLE, STALE, DELAY, PROBE, INCOMPLETE, FAILED, PERMANENT, NOARP
}

// NeighbourOf returns the entry for ip on link; ok is false when there is
// none (nothing has asked for ip lately). It asks for the one entry: a
// dump walks the kernel's one neighbour table of every netns on the
// machine, which a large lab fills with its permanent entries.
//
// Equivalent to: `ip -4 neigh get $ip dev $link`.
func (n *NS) NeighbourOf(link string, ip netip.Addr) (nb NeighbourEntry, ok bool, err error) {
	l, err := n.Link(link)
	if err != nil {
		return nb, false, err
	}
	e, err := n.neighGet(l.Attrs().Index, ip)
	if err != nil || e == nil {
		return nb, false, err
	}
	nb.State = neighState(e.State)
	if len(e.HardwareAddr) == 6 && e.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED) == 0 {
		nb.MAC = e.HardwareAddr
	}
	return nb, true, nil
}

// neighGet asks the kernel for the IPv4 neighbour entry of ip on the link
// with index idx (RTM_GETNEIGH without a dump; kernels from 5.0), nil
// when there is none.
func (n *NS) neighGet(idx int, ip netip.Addr) (*netlink.Neigh, error) {
	if !ip.Is4() {
		return nil, fmt.Errorf("neighbour %s: not an IPv4 address", ip)
	}
	sock, err := n.rawRoute()
	if err != nil {
		return nil, err
	}
	req := &nl.NetlinkRequest{
		NlMsghdr: unix.NlMsghdr{Len: unix.SizeofNlMsghdr, Type: unix.RTM_GETNEIGH, Flags: unix.NLM_F_REQUEST},
		Sockets:  map[int]*nl.SocketHandle{unix.NETLINK_ROUTE: sock},
	}
	req.AddData(&netlink.Ndmsg{Family: netlink.FAMILY_V4, Index: uint32(idx)})
	req.AddData(nl.NewRtAttr(unix.NDA_DST, ip.AsSlice()))
	msgs, err := req.Execute(unix.NETLINK_ROUTE, unix.RTM_NEWNEIGH)
	if errors.Is(err, unix.ENOENT) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("neighbour %s: %w", ip, err)
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	e, err := netlink.NeighDeserialize(msgs[0])
	if err != nil {
		return nil, fmt.Errorf("neighbour %s: %w", ip, err)
	}
	return e, nil
}

func neighState(s int) string {
	for _, x := range []struct {
		bit  int
		name string
	}{{netlink.NUD_PERMANENT, "PERMANENT"}, {netlink.NUD_NOARP, "NOARP"}, {netlink.NUD_REACHABLE, "REACHABLE"},
		{netlink.NUD_STALE, "STALE"}, {netlink.NUD_DELAY, "DELAY"}, {netlink.NUD_PROBE, "PROBE"},
		{netlink.NUD_INCOMPLETE, "INCOMPLETE"}, {netlink.NUD_FAILED, "FAILED"}} {
		if s&x.bit != 0 {
			return x.name
		}
	}
	return "NONE"
}

// Neighbour is one IPv4 address and the MAC that answers for it.
type Neighbour struct {
	Addr netip.Addr
	MAC  net.HardwareAddr
}

func (n *NS) replaceNeighbours(link string, idx int, want []Neighbour) (int, error) {
	for i, w := range want {
		err := n.Handle.NeighSet(&netlink.Neigh{LinkIndex: idx, Family: netlink.FAMILY_V4,
			State: netlink.NUD_PERMANENT, IP: w.Addr.AsSlice(), HardwareAddr: w.MAC})
		if err != nil {
			return i, fmt.Errorf("%s: neighbour %s: %w", link, w.Addr, err)
		}
	}
	return len(want), nil
}

// setPermanentNeighbours makes want link's permanent IPv4 neighbours
// within subnet, returning how many entries it added, changed or removed.
// Entries the kernel learned (not permanent) are left as they are, as
// are permanent ones outside subnet. Its one dump walks the whole
// machine's table (see SetNamedNeighbours): for when the set changed.
//
// Equivalent to: `ip neigh replace $addr lladdr $mac dev $link nud
// permanent` for each of want, and `ip neigh del $addr dev $link` for
// each other permanent entry in subnet.
func (n *NS) setPermanentNeighbours(link string, subnet netip.Prefix, want []Neighbour) (int, error) {
	l, err := n.Link(link)
	if err != nil {
		return 0, err
	}
	idx := l.Attrs().Index
	have, err := Dump(func() ([]netlink.Neigh, error) { return n.Handle.NeighList(idx, netlink.FAMILY_V4) })
	if err != nil {
		return 0, fmt.Errorf("%s: neighbours: %w", link, err)
	}
	permanent := map[netip.Addr]net.HardwareAddr{}
	for _, nb := range have {
		ip, ok := netip.AddrFromSlice(nb.IP.To4())
		if ok && nb.State&netlink.NUD_PERMANENT != 0 && subnet.Contains(ip) {
			permanent[ip] = nb.HardwareAddr
		}
	}
	var add []Neighbour
	for _, w := range want {
		if mac, ok := permanent[w.Addr]; !ok || !bytes.Equal(mac, w.MAC) {
			add = append(add, w)
		}
		delete(permanent, w.Addr)
	}
	changed, err := n.replaceNeighbours(link, idx, add)
	if err != nil {
		return changed, err
	}
	for ip := range permanent {
		err := n.Handle.NeighDel(&netlink.Neigh{LinkIndex: idx, Family: netlink.FAMILY_V4, IP: ip.AsSlice()})
		if err != nil && !errors.Is(err, syscall.ENOENT) {
			return changed, fmt.Errorf("%s: neighbour %s: %w", link, ip, err)
		}
		changed++
	}
	return changed, nil
}

// NeighboursMark starts the alias of a link that names the set of
// permanent neighbours it was given (SetNamedNeighbours).
const NeighboursMark = "ovslab-neighbours:"

// NeighbourSet is a link's permanent neighbours, by name and on demand:
// the name is what the link's alias records, so an up that finds it
// there builds and reads nothing. A caller names the set of a whole
// segment once (NameNeighbours) for every link on it; any name works that
// changes whenever the list does.
type NeighbourSet struct {
	Name string             // "" = none: an earlier set is removed
	List func() []Neighbour // the entries, asked only when they are written
}

// NameNeighbours names a set of neighbours in a few bytes.
func NameNeighbours(ns []Neighbour) string {
	sum := sha256.New()
	for _, n := range ns {
		fmt.Fprintf(sum, "%s %s\n", n.Addr, n.MAC)
	}
	return hex.EncodeToString(sum.Sum(nil)[:12])
}

// SetNamedNeighbours makes set the permanent neighbours of l within
// subnet, and says what it changed ("" for nothing). Reading a link's
// entries back means a dump of the machine's whole neighbour table (every
// netns), whose cost grows with every neighbour on the machine: one per
// link would cost the square of a lab at every up. So l's alias names the
// set it holds, and the table is read only when the set changed:
//   - the alias names set: nothing to do. With verify (the link was found
//     down, or the caller cannot tell), the set's first entry is looked up
//     (one entry, no dump): a link that went down lost all its permanent
//     neighbours and kept its alias, and gets them again.
//   - the alias names another set: read, diffed and rewritten.
//   - no mark: a link made since (new, or made anew by vswitchd) holds
//     none: the set is added without reading.
func (n *NS) SetNamedNeighbours(l netlink.Link, subnet netip.Prefix, set NeighbourSet, verify bool) (string, error) {
	name, have := l.Attrs().Name, l.Attrs().Alias
	want := ""
	if set.Name != "" {
		want = NeighboursMark + set.Name
	}
	if have == want && (!verify || want == "") {
		return "", nil
	}
	var list []Neighbour // built only now: the same set needs none
	if want != "" && set.List != nil {
		list = set.List()
	}
	switch {
	case have == want:
		if len(list) == 0 {
			return "", nil
		}
		e, err := n.neighGet(l.Attrs().Index, list[0].Addr)
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		if e != nil && e.State&netlink.NUD_PERMANENT != 0 && bytes.Equal(e.HardwareAddr, list[0].MAC) {
			return "", nil
		}
		if _, err := n.replaceNeighbours(name, l.Attrs().Index, list); err != nil {
			return "", err
		}
		return "permanent neighbours restored", nil
	case strings.HasPrefix(have, NeighboursMark):
		if _, err := n.setPermanentNeighbours(name, subnet, list); err != nil {
			return "", err
		}
	default:
		if _, err := n.replaceNeighbours(name, l.Attrs().Index, list); err != nil {
			return "", err
		}
	}
	if err := n.Handle.LinkSetAlias(l, want); err != nil {
		return "", fmt.Errorf("%s: mark its neighbours: %w", name, err)
	}
	if want == "" {
		return "permanent neighbours removed", nil
	}
	return "permanent neighbours updated", nil
}
