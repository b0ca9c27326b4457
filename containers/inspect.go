package containers

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// LinkStatus is what Inspect found for one Link, for `ovslab status` and
// `ovslab check`.
type LinkStatus struct {
	HostExists        bool // host veth present and a veth
	HostUp            bool
	HostMTU           int
	HostTxChecksumOff bool
	ContainerPresent  bool // interface present in the container's netns
	ContainerUp       bool
	ContainerMTU      int
	ContainerMAC      net.HardwareAddr
	Addresses         []netip.Prefix // on the container interface, link-local included
	HasAddress        bool           // the wanted address is among them
	Paired            bool           // the two are ends of one veth
	DefaultRoute      bool           // the wanted default route is present
	TxChecksumOff     bool           // on the container interface
	HostQdisc         string         // root qdisc of the host veth, as tc names it ("none": the default)
	ContainerQdisc    string         // root qdisc of the container interface
	QdiscOK           bool           // both ends have the qdisc Plumb would make
	Problems          []string       // one line each, naming the object and what is wrong
}

// OK reports whether the link is as Plumb would leave it.
func (s LinkStatus) OK() bool { return len(s.Problems) == 0 }

func (s *LinkStatus) problem(format string, args ...any) {
	s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
}

// Inspect reports the state of l without changing anything. A missing
// interface or a stopped container is a Problem, not an error; the error
// is for a Link that cannot be inspected at all (bad names, netlink
// failures).
func Inspect(l Link) (LinkStatus, error) {
	var s LinkStatus
	if err := l.validate(); err != nil {
		return s, err
	}
	h, err := openHandles(l)
	if err != nil {
		s.problem("%v", err)
		return s, nil
	}
	defer h.close()

	host, err := linkByName(h.host, l.HostVeth)
	if err != nil {
		return s, fmt.Errorf("host veth %s: %w", l.HostVeth, err)
	}
	ctr, err := linkByName(h.ctr, l.Name)
	if err != nil {
		return s, fmt.Errorf("container interface %s (pid %d): %w", l.Name, l.ContainerPid, err)
	}
	if host != nil && host.Type() == "veth" {
		s.HostExists = true
		s.HostUp = host.Attrs().Flags&net.FlagUp != 0
		s.HostMTU = host.Attrs().MTU
		s.HostTxChecksumOff = h.hostNS.TxChecksumIsOff(l.HostVeth)
	}
	s.QdiscOK = true
	for _, end := range []struct {
		h     *netlink.Handle
		link  netlink.Link
		known RootQdiscs
		out   *string
	}{{h.host, host, l.HostQdiscs, &s.HostQdisc}, {h.ctr, ctr, nil, &s.ContainerQdisc}} {
		if end.link == nil {
			continue
		}
		q, err := rootQdisc(end.h, end.link, end.known)
		if err != nil {
			return s, fmt.Errorf("qdiscs of %s: %w", end.link.Attrs().Name, err)
		}
		*end.out = describeQdisc(q)
		want := l.Impair.Qdisc(end.link.Attrs().Index, l.MTU)
		s.QdiscOK = s.QdiscOK && (want == nil && (q == nil || !isOurKind(q)) || want != nil && sameQdisc(q, want))
	}
	if ctr != nil {
		s.ContainerPresent = true
		s.ContainerUp = ctr.Attrs().Flags&net.FlagUp != 0
		s.ContainerMTU = ctr.Attrs().MTU
		s.ContainerMAC = ctr.Attrs().HardwareAddr
		s.TxChecksumOff = h.ctrNS.TxChecksumIsOff(l.Name)
		addrs, err := nsutil.Dump(func() ([]netlink.Addr, error) { return h.ctr.AddrList(ctr, netlink.FAMILY_ALL) })
		if err != nil {
			return s, fmt.Errorf("list addresses of %s: %w", l.Name, err)
		}
		for _, a := range addrs {
			p := prefixOf(a.IPNet)
			s.Addresses = append(s.Addresses, p)
			s.HasAddress = s.HasAddress || p == normPrefix(l.Address)
		}
		if l.DefaultRoute.IsValid() {
			routes, err := nsutil.Dump(func() ([]netlink.Route, error) { return h.ctr.RouteList(ctr, netlink.FAMILY_ALL) })
			if err != nil {
				return s, fmt.Errorf("list routes of %s: %w", l.Name, err)
			}
			for _, r := range routes {
				s.DefaultRoute = s.DefaultRoute || (isDefault(r) && ipAddr(r.Gw) == l.DefaultRoute.Unmap())
			}
		}
	}
	s.Paired = h.paired(host, ctr)
	s.describe(l)
	return s, nil
}

// describe turns the findings into Problems, most fundamental first.
func (s *LinkStatus) describe(l Link) {
	switch {
	case !s.HostExists:
		s.problem("host veth %s is missing in netns %s", l.HostVeth, hostNS(l))
	case !s.HostUp:
		s.problem("host veth %s is down", l.HostVeth)
	}
	switch {
	case !s.ContainerPresent:
		s.problem("interface %s is missing in the container (pid %d)", l.Name, l.ContainerPid)
	case !s.ContainerUp:
		s.problem("interface %s in the container is down", l.Name)
	}
	if s.HostExists && s.ContainerPresent && !s.Paired {
		s.problem("host veth %s is not the peer of %s in the container", l.HostVeth, l.Name)
	}
	if !s.ContainerPresent {
		return
	}
	if l.Address.IsValid() && !s.HasAddress {
		s.problem("%s lacks address %s (has %v)", l.Name, l.Address, s.Addresses)
	}
	if l.MAC != nil && s.ContainerMAC.String() != l.MAC.String() {
		s.problem("%s has MAC %s, want %s", l.Name, s.ContainerMAC, l.MAC)
	}
	if l.MTU > 0 && (s.ContainerMTU != l.MTU || (s.HostExists && s.HostMTU != l.MTU)) {
		s.problem("MTU %d on %s / %d on %s, want %d", s.HostMTU, l.HostVeth, s.ContainerMTU, l.Name, l.MTU)
	}
	if l.DefaultRoute.IsValid() && !s.DefaultRoute {
		s.problem("no default route via %s on %s", l.DefaultRoute, l.Name)
	}
	if !s.QdiscOK {
		want := "none"
		if !l.Impair.IsZero() {
			want = describeQdisc(l.Impair.Qdisc(0, l.MTU))
		}
		s.problem("qdisc %s on %s / %s on %s, want %s", s.HostQdisc, l.HostVeth, s.ContainerQdisc, l.Name, want)
	}
	if !s.TxChecksumOff || (s.HostExists && !s.HostTxChecksumOff) {
		s.problem("TX checksum offload is on (%s host=%v, %s container=%v): TCP through OVS userspace will carry nothing",
			l.HostVeth, !s.HostTxChecksumOff, l.Name, !s.TxChecksumOff)
	}
}

// hostNS names the host side's netns for messages.
func hostNS(l Link) string {
	if p := hostNetnsPath(l.HostNetns); p != "" {
		return p
	}
	return "(current)"
}
