package nsutil

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// ErrNoLink is wrapped, with the link's name, in the error of a method
// whose link does not exist.
var ErrNoLink = errors.New("no such link")

// Link looks link up afresh: a Link object from earlier may describe a
// device that was since moved or remade.
//
// Equivalent to: `ip link show $link`.
func (n *NS) Link(link string) (netlink.Link, error) {
	l, err := n.Handle.LinkByName(link)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %v", link, ErrNoLink, err)
	}
	return l, nil
}

// LinkUp brings link up.
//
// Equivalent to: `ip link set $link up`.
func (n *NS) LinkUp(link string) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	return n.up(l)
}

// up brings l up unless it is.
func (n *NS) up(l netlink.Link) error {
	if l.Attrs().Flags&net.FlagUp != 0 {
		return nil
	}
	if err := n.Handle.LinkSetUp(l); err != nil {
		return fmt.Errorf("%s up: %w", l.Attrs().Name, err)
	}
	n.changed(l.Attrs().Name, "up")
	return nil
}

// LinkDown takes link down.
//
// Equivalent to: `ip link set $link down`.
func (n *NS) LinkDown(link string) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	if err := n.Handle.LinkSetDown(l); err != nil {
		return fmt.Errorf("%s down: %w", link, err)
	}
	return nil
}

// LinkIsUp reports whether link is administratively up.
//
// Equivalent to: `ip link show $link` (UP among its flags).
func (n *NS) LinkIsUp(link string) (bool, error) {
	l, err := n.Link(link)
	if err != nil {
		return false, err
	}
	return l.Attrs().Flags&net.FlagUp != 0, nil
}

// LinkMTU returns link's MTU.
//
// Equivalent to: `ip link show $link` (its mtu).
func (n *NS) LinkMTU(link string) (int, error) {
	l, err := n.Link(link)
	if err != nil {
		return 0, err
	}
	return l.Attrs().MTU, nil
}

// SetMTU sets link's MTU, unless it has it already.
//
// Equivalent to: `ip link set $link mtu $mtu`.
func (n *NS) SetMTU(link string, mtu int) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	return n.setMTU(l, mtu)
}

func (n *NS) setMTU(l netlink.Link, mtu int) error {
	old := l.Attrs().MTU
	if old == mtu {
		return nil
	}
	if err := n.Handle.LinkSetMTU(l, mtu); err != nil {
		return fmt.Errorf("%s mtu %d: %w", l.Attrs().Name, mtu, err)
	}
	n.changed(l.Attrs().Name, "mtu %d→%d", old, mtu)
	return nil
}

// SetMAC sets link's Ethernet address, unless it has it already.
//
// Equivalent to: `ip link set $link address $mac`.
func (n *NS) SetMAC(link string, mac net.HardwareAddr) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	if bytes.Equal(l.Attrs().HardwareAddr, mac) {
		return nil
	}
	if err := n.Handle.LinkSetHardwareAddr(l, mac); err != nil {
		return fmt.Errorf("%s: address %s: %w", link, mac, err)
	}
	n.changed(link, "MAC %s→%s", l.Attrs().HardwareAddr, mac)
	return nil
}

// SetMTUUp sets link's MTU, unless it has it already, and brings it up.
//
// Equivalent to: `ip link set $link mtu $mtu up`.
func (n *NS) SetMTUUp(link string, mtu int) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	if err := n.setMTU(l, mtu); err != nil {
		return err
	}
	return n.up(l)
}

// SetMaster enslaves link to the bridge master, unless it is already.
//
// Equivalent to: `ip link set $link master $master`.
func (n *NS) SetMaster(link, master string) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	br, err := n.Handle.LinkByName(master)
	if err != nil {
		return fmt.Errorf("%s: %w", master, err)
	}
	if l.Attrs().MasterIndex == br.Attrs().Index {
		return nil
	}
	if err := n.Handle.LinkSetMaster(l, br); err != nil {
		return err
	}
	n.changed(link, "joined %s", master)
	return nil
}

// Alias returns link's alias, "" if it has none.
//
// Equivalent to: `ip link show $link` (its alias).
func (n *NS) Alias(link string) (string, error) {
	l, err := n.Link(link)
	if err != nil {
		return "", err
	}
	return l.Attrs().Alias, nil
}

// SetAlias gives link the alias, unless it has it already.
//
// Equivalent to: `ip link set $link alias $alias`.
func (n *NS) SetAlias(link, alias string) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	if l.Attrs().Alias == alias {
		return nil
	}
	return n.Handle.LinkSetAlias(l, alias)
}

// LinkNames lists the names of the links.
//
// Equivalent to: `ip -o link show` (the names).
func (n *NS) LinkNames() ([]string, error) {
	links, err := Dump(n.Handle.LinkList)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(links))
	for i, l := range links {
		names[i] = l.Attrs().Name
	}
	return names, nil
}

// Bridges lists the Linux bridges whose names start with prefix.
//
// Equivalent to: `ip -o link show type bridge` (the names, filtered).
func (n *NS) Bridges(prefix string) ([]string, error) {
	links, err := Dump(n.Handle.LinkList)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range links {
		if l.Type() == "bridge" && strings.HasPrefix(l.Attrs().Name, prefix) {
			out = append(out, l.Attrs().Name)
		}
	}
	return out, nil
}

// AddBridge creates the Linux bridge name with the given MTU.
//
// Equivalent to: `ip link add $name mtu $mtu type bridge`.
func (n *NS) AddBridge(name string, mtu int) error {
	if err := n.Handle.LinkAdd(&netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, MTU: mtu}}); err != nil {
		return err
	}
	n.changed(name, "created")
	return nil
}

// DeleteLink deletes link.
//
// Equivalent to: `ip link del $link`.
func (n *NS) DeleteLink(link string) error {
	l, err := n.Link(link)
	if err != nil {
		return err
	}
	if err := n.Handle.LinkDel(l); err != nil {
		return err
	}
	n.changed(link, "removed")
	return nil
}

// LinkInfo is what a packet crossing a link depends on.
type LinkInfo struct {
	Name    string
	Type    string // veth, bridge, tun, openvswitch, ...
	Up      bool   // administratively up (ip link set up)
	Carrier bool   // the kernel sees it running (LOWER_UP)
	MTU     int
	MAC     net.HardwareAddr
	Master  string // the Linux bridge it is a port of, "" if none
}

// LinkState reads link's state.
//
// Equivalent to: `ip link show $link`.
func (n *NS) LinkState(link string) (LinkInfo, error) {
	l, err := n.Link(link)
	if err != nil {
		return LinkInfo{}, err
	}
	a := l.Attrs()
	li := LinkInfo{Name: a.Name, Type: l.Type(), Up: a.Flags&net.FlagUp != 0, Carrier: a.RawFlags&unix.IFF_LOWER_UP != 0, MTU: a.MTU, MAC: a.HardwareAddr}
	if a.MasterIndex > 0 {
		if m, err := n.Handle.LinkByIndex(a.MasterIndex); err == nil {
			li.Master = m.Attrs().Name
		}
	}
	return li, nil
}

// RootQdisc names link's root qdisc as tc does (netem, tbf, htb, ...),
// "" for the kernel's default (noqueue, pfifo_fast, mq, or none).
//
// Equivalent to: `tc qdisc show dev $link root`.
func (n *NS) RootQdisc(link string) (string, error) {
	l, err := n.Link(link)
	if err != nil {
		return "", err
	}
	qs, err := n.Handle.QdiscList(l)
	if err != nil {
		return "", fmt.Errorf("%s: qdiscs: %w", link, err)
	}
	for _, q := range qs {
		if q.Attrs().Parent != netlink.HANDLE_ROOT {
			continue
		}
		switch k := q.Type(); k {
		case "noqueue", "pfifo_fast", "mq", "fq_codel", "pfifo", "noop":
			return "", nil
		default:
			return k, nil
		}
	}
	return "", nil
}
