package containers

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// Link is one veth pair from a host netns into a container.
type Link struct {
	HostNetns    string           // host side netns: a path, a name under /run/netns, or "" for the current one
	HostVeth     string           // host-side interface name (at most 15 bytes)
	ContainerID  string           // the container's full ID (Ensure, List)
	ContainerPid int              // its main process, whose netns is the container's
	Name         string           // interface name inside the container: eth0, eth1 ...
	Address      netip.Prefix     // e.g. 10.0.1.10/24; invalid = no address
	MAC          net.HardwareAddr // nil = leave the kernel's random one
	MTU          int              // both ends; 0 = leave the kernel default
	DefaultRoute netip.Addr       // invalid = no default route from this interface
	Impair       Impairment       // root qdisc on both ends; zero = none
	// Process, if set, is the container's main process already held
	// (OpenProcess), for ContainerID and ContainerPid: the caller that
	// holds it for all of a container's steps checks the PID once. The
	// caller closes it.
	Process *Process
	// HostNS, if set, is the host side's netns already open (one for all
	// of a host's links, so each does not open its own); HostNetns then
	// only names it in messages. The caller closes it.
	HostNS *nsutil.NS
	// HostQdiscs, if set, are the host netns's root qdiscs, read by
	// ReadRootQdiscs before the caller made or changed any host veth; a
	// veth made since has a new index, so it reads as the kernel's
	// default. nil = ask the kernel per link.
	HostQdiscs RootQdiscs
	// Hold is what Plumb leaves as it finds it on a pair that exists: an
	// exercise's fault holds it until its stage ends. A pair made anew
	// gets all of the Link.
	Hold LinkHold
	// HostImpair, if set, is the host end's impairment instead of
	// Impair: what the container receives, alone.
	HostImpair *Impairment
	// Mark is put as the alias of the host veth. A host veth carrying it
	// whose peer is not in this container is the caller's own, left by a
	// container that is gone: the kernel tears a dead container's netns
	// (and so the veth) down asynchronously, seconds later on a busy
	// machine. Plumb replaces such a veth. "" = no mark.
	Mark string
	// Neighbours are the link's permanent neighbours within Address's
	// subnet, which Plumb makes exactly these (none = remove them; the
	// kernel's learned entries stay).
	Neighbours nsutil.NeighbourSet
	// Changed, if set, hears what Plumb changes on an existing pair
	// ("mtu 1500→1450"); a pair it makes anew it reports by its result.
	Changed func(what string)
}

// changed tells l.Changed, if set, about a change.
func (l Link) changed(format string, args ...any) {
	if l.Changed != nil {
		l.Changed(fmt.Sprintf(format, args...))
	}
}

// LinkHold names the parts of a link Plumb leaves as they are.
type LinkHold struct {
	HostState bool // the host end's up or down
	HostQdisc bool // the host end's root qdisc
	Address   bool // the container end's addresses
	Route     bool // the container's default route through the link
}

// maxIfName is IFNAMSIZ-1: the kernel refuses longer names with the
// unhelpful "numerical result out of range".
const maxIfName = 15

func (l Link) validate() error {
	if err := checkIfName("host veth", l.HostVeth); err != nil {
		return err
	}
	if err := checkIfName("container interface", l.Name); err != nil {
		return fmt.Errorf("%w (host veth %s)", err, l.HostVeth)
	}
	if l.ContainerPid <= 0 {
		return fmt.Errorf("link %s: container pid %d is not a running process", l.HostVeth, l.ContainerPid)
	}
	if l.ContainerID == "" {
		return fmt.Errorf("link %s: no container ID to check pid %d against", l.HostVeth, l.ContainerPid)
	}
	if l.MTU < 0 || l.MTU > 65535 {
		return fmt.Errorf("link %s: MTU %d out of range", l.HostVeth, l.MTU)
	}
	if l.DefaultRoute.IsValid() && l.Address.IsValid() && l.DefaultRoute.Is4() != l.Address.Addr().Is4() {
		return fmt.Errorf("link %s: default route %s and address %s are different IP families", l.HostVeth, l.DefaultRoute, l.Address)
	}
	return nil
}

func checkIfName(what, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%s name is empty", what)
	case len(name) > maxIfName:
		return fmt.Errorf("%s name %q is %d bytes; Linux interface names are at most %d bytes", what, name, len(name), maxIfName)
	case name == "." || name == ".." || strings.ContainsAny(name, "/: \t\n"):
		return fmt.Errorf("%s name %q is not a valid interface name", what, name)
	}
	return nil
}

// hostNetnsPath turns Link.HostNetns into a path nsutil and netns accept.
func hostNetnsPath(s string) string {
	if s == "" || strings.Contains(s, "/") {
		return s
	}
	return nsutil.Path(s)
}

func containerNetnsPath(pid int) string {
	return fmt.Sprintf("/proc/%d/ns/net", pid)
}

// handles holds both sides of a link open. Each handle's sockets live in
// its netns, so no thread ever switches netns for netlink.
type handles struct {
	host, ctr     *netlink.Handle
	hostNS, ctrNS *nsutil.NS
	ownHost       bool // hostNS was opened here, not lent by the caller
}

func openHandles(l Link) (*handles, error) {
	hostNS, own := l.HostNS, false
	if hostNS == nil {
		var err error
		if hostNS, err = nsutil.Open(hostNetnsPath(l.HostNetns)); err != nil {
			return nil, fmt.Errorf("host %w", err)
		}
		own = true
	}
	ctrNS, err := containerNetns(l)
	if err != nil {
		if own {
			hostNS.Close()
		}
		return nil, err
	}
	return &handles{host: hostNS.Handle, ctr: ctrNS.Handle, hostNS: hostNS, ctrNS: ctrNS, ownHost: own}, nil
}

// containerNetns opens the netns of l's container through l.Process,
// else through a Process of its own.
func containerNetns(l Link) (*nsutil.NS, error) {
	p := l.Process
	if p == nil || p.ID != l.ContainerID || p.Pid != l.ContainerPid {
		var err error
		if p, err = OpenProcess(l.ContainerID, l.ContainerPid); err != nil {
			return nil, err
		}
		defer p.Close()
	}
	return p.netns()
}

func (h *handles) close() {
	if h.ownHost {
		h.hostNS.Close()
	}
	h.ctrNS.Close()
}

// Plumb converges one link and is safe to repeat. When the host veth and
// the container interface exist and are each other's peer, only what
// differs is fixed, so interface indexes (and OVS ports on them) survive.
// Otherwise the pair is recreated with each end created directly in its
// netns under its final name. TX checksum offload is turned off on both
// ends: OVS's userspace datapath does not complete offloaded checksums, so
// with it on ping works and TCP silently carries nothing. If Plumb fails
// after creating a pair, it deletes it again. It reports whether it made
// the pair anew: the host end is then a new device behind an old name.
func Plumb(l Link) (bool, error) {
	if err := l.validate(); err != nil {
		return false, err
	}
	h, err := openHandles(l)
	if err != nil {
		return false, fmt.Errorf("link %s: %w", l.HostVeth, err)
	}
	defer h.close()

	host, err := linkByName(h.host, l.HostVeth)
	if err != nil {
		return false, fmt.Errorf("host veth %s: %w", l.HostVeth, err)
	}
	// One dump answers for the interface and the loopback converge needs.
	ctr, lo, err := h.ctrLinks(l.Name)
	if err != nil {
		return false, fmt.Errorf("container interface %s (pid %d): %w", l.Name, l.ContainerPid, err)
	}
	// Not the results: a return sets those before the deferred rollback reads them.
	created, success := false, false
	defer func() {
		if created && !success {
			if veth, _ := linkByName(h.host, l.HostVeth); veth != nil {
				_ = h.host.LinkDel(veth) // its peer goes with it
			}
		}
	}()
	if !h.paired(host, ctr) {
		if err := h.createPair(l, host, ctr); err != nil {
			return false, fmt.Errorf("link %s: %w", l.HostVeth, err)
		}
		created = true
		l.Changed = nil     // a new pair is news as a whole
		l.Hold = LinkHold{} // a new pair holds nothing yet
		host, ctr = nil, nil
	}
	if err := h.converge(l, host, ctr, lo); err != nil {
		return false, fmt.Errorf("link %s (%s in pid %d): %w", l.HostVeth, l.Name, l.ContainerPid, err)
	}
	success = true
	return created, nil
}

// ctrLinks returns the container's interface called name and its
// loopback, each nil when missing.
//
// Equivalent to: `ip link show` in the container.
func (h *handles) ctrLinks(name string) (ctr, lo netlink.Link, err error) {
	links, err := nsutil.Dump(h.ctr.LinkList)
	if err != nil {
		return nil, nil, err
	}
	for _, x := range links {
		switch x.Attrs().Name {
		case name:
			ctr = x
		case "lo":
			lo = x
		}
	}
	return ctr, lo, nil
}

// createPair makes a fresh veth pair. A host interface that already has
// the name is refused, unless it is a veth carrying the caller's mark (see
// below); a container interface with the name is a leftover inside the
// lab's own container.
func (h *handles) createPair(l Link, host, ctr netlink.Link) error {
	if host != nil {
		// Only a veth is ours to replace: a bridge or NIC that happens to
		// have the name is somebody else's.
		if host.Type() != "veth" {
			return fmt.Errorf("host interface %s exists and is a %s, not a veth; refusing to delete it: %w", l.HostVeth, host.Type(), ErrNotOwned)
		}
		// Nor is a veth whose peer is not in this container, unless it
		// carries the caller's mark: a lab's veth dies with its
		// container's netns, only later, so an unmarked one that outlived
		// it belongs to someone else.
		if l.Mark == "" || host.Attrs().Alias != l.Mark {
			return fmt.Errorf("host interface %s exists and is not connected to container pid %d; it is not the lab's, refusing to delete it (remove it by hand if it is stale): %w", l.HostVeth, l.ContainerPid, ErrNotOwned)
		}
		if err := h.host.LinkDel(host); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete the veth %s of a container that is gone: %w", l.HostVeth, err)
		}
	}
	if ctr != nil {
		// A leftover whose host end was renamed or moved: its name is ours
		// inside this container.
		if err := h.ctr.LinkDel(ctr); err != nil && !isNotFound(err) {
			return fmt.Errorf("delete stale container interface %s: %w", l.Name, err)
		}
	}
	if err := nsutil.AddVeth(h.hostNS, l.HostVeth, h.ctrNS, l.Name, l.MTU, l.MAC); err != nil {
		return err
	}
	return nil
}

// paired reports whether host and ctr are the two ends of one veth. Each
// end's IFLA_LINK is the other's index; indexes are per netns, so the host
// end's link-netnsid must also name the container's netns when the kernel
// can tell us.
func (h *handles) paired(host, ctr netlink.Link) bool {
	if host == nil || ctr == nil || host.Type() != "veth" || ctr.Type() != "veth" {
		return false
	}
	if host.Attrs().ParentIndex != ctr.Attrs().Index || ctr.Attrs().ParentIndex != host.Attrs().Index {
		return false
	}
	if id, err := h.host.GetNetNsIdByFd(h.ctrNS.Fd()); err == nil && id >= 0 && host.Attrs().NetNsID >= 0 {
		return id == host.Attrs().NetNsID
	}
	return true
}

// Unplumb deletes the host veth; the container end goes with it. A missing
// veth is success. Anything that is not a veth is left alone.
func Unplumb(hostNetns, hostVeth string) error {
	if err := checkIfName("host veth", hostVeth); err != nil {
		return err
	}
	ns, err := nsutil.Open(hostNetnsPath(hostNetns))
	if errors.Is(err, os.ErrNotExist) {
		return nil // the whole netns is gone, and the veth with it
	}
	if err != nil {
		return fmt.Errorf("unplumb %s: host %w", hostVeth, err)
	}
	defer ns.Close()
	h := ns.Handle
	l, err := linkByName(h, hostVeth)
	if err != nil || l == nil {
		return err
	}
	if l.Type() != "veth" {
		return fmt.Errorf("unplumb %s: it is a %s, not a veth; refusing to delete it", hostVeth, l.Type())
	}
	if err := h.LinkDel(l); err != nil && !isNotFound(err) {
		return fmt.Errorf("unplumb %s: %w", hostVeth, err)
	}
	return nil
}
