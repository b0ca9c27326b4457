package labs

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/internal/capture"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// CapturePoint is where `ovslab capture` listens: an interface in a
// network namespace of this machine.
type CapturePoint struct {
	netns string // netns name; "" is this machine's own (a real host)
	iface string // the interface in it
	What  string // what it carries, for the user: "doc1 eth0 (host end vdoc1)"
}

// FindCapturePoint resolves NODE[:IFACE] of a lab. A container's interface
// (default its first) is captured on the host end of its veth, so the
// container needs no tools; a host's (default its underlay NIC, where the
// VXLAN frames pass) in the host's own namespace, where IFACE may name any
// interface. On a real host only this machine's part can be captured.
func FindCapturePoint(lab, target string) (CapturePoint, error) {
	st, src, err := Load(lab)
	if err != nil {
		return CapturePoint{}, err
	}
	node, iface, _ := strings.Cut(target, ":")
	t := src.Topo
	emulated := st.Mode == ModeEmulated
	var cp CapturePoint
	switch {
	case slices.Contains(t.HostNames(), node):
		cp, err = hostCapturePoint(st, src, node, iface)
	case emulated && (node == routerNode || node == wanNode):
		cp, err = fabricCapturePoint(lab, node, iface)
	default:
		c, ok := containerByName(t, node)
		if !ok {
			return cp, Usagef("lab %s has no node %q; nodes are the hosts (%s) and the containers (%s)",
				lab, node, strings.Join(t.HostNames(), ", "), strings.Join(containerNames(t), ", "))
		}
		cp, err = containerCapturePoint(st, c, iface)
	}
	if err != nil {
		return cp, err
	}
	if cp.netns != "" && !nsutil.Exists(cp.netns) {
		return cp, fmt.Errorf("netns %s is gone: run ovslab up again to repair lab %s", cp.netns, lab)
	}
	if _, isContainer := containerByName(t, node); iface == "" || isContainer {
		return cp, nil // the lab's own interfaces, or a container's checked against the file
	}
	return cp, hasLink(cp, node)
}

// hasLink refuses an interface the user named that is not in the node's
// namespace, listing the ones that are.
func hasLink(cp CapturePoint, node string) error {
	var names []string
	if err := nsutil.InNamed(cp.netns, func(n *nsutil.NS) (err error) {
		names, err = n.LinkNames()
		return err
	}); err != nil {
		return err
	}
	if slices.Contains(names, cp.iface) {
		return nil
	}
	slices.Sort(names)
	return Usagef("%s has no interface %s (it has %s)", node, cp.iface, strings.Join(names, ", "))
}

func hostCapturePoint(st *State, src *Source, host, iface string) (CapturePoint, error) {
	cp := CapturePoint{iface: iface, What: "host " + host + " " + iface, netns: st.hostLocation(host, "").netns}
	if st.Mode != ModeEmulated && !slices.Contains(st.Hosts, host) {
		return cp, Usagef("host %s is not this machine's part of lab %s (this machine is %s): run ovslab capture there", host, st.Lab, strings.Join(st.Hosts, ", "))
	}
	if iface == "" {
		p, err := src.Topo.Plan(host)
		if err != nil {
			return cp, err
		}
		var nic string
		loc := st.hostLocation(host, "")
		err = nsutil.InNamed(loc.netns, func(n *nsutil.NS) (err error) {
			nic, err = underlayNIC(p, hostRun{location: loc, j: newJournal(st), ns: n})
			return err
		})
		if err != nil {
			return cp, err
		}
		cp.iface, cp.What = nic, fmt.Sprintf("host %s underlay %s (VXLAN to the other hosts)", host, nic)
	}
	return cp, nil
}

// fabricCapturePoint is an interface of the emulated router or WAN: the
// router has one link per host (named after it) and "wan"; the WAN "wan0".
func fabricCapturePoint(lab, node, iface string) (CapturePoint, error) {
	if iface == "" {
		if node == routerNode {
			return CapturePoint{}, Usagef("capture %s: name the router's link, e.g. %s:wan or %s:HOST (one link per host)", node, node, node)
		}
		iface = "wan0"
	}
	return CapturePoint{netns: NetnsName(lab, node), iface: iface, What: node + " " + iface}, nil
}

func containerCapturePoint(st *State, c topology.Container, iface string) (CapturePoint, error) {
	var names []string
	for i, it := range c.Interfaces {
		names = append(names, it.Name)
		if iface != "" && iface != it.Name {
			continue
		}
		cp := CapturePoint{iface: topology.HostVethName(c.Name, i)}
		cp.What = fmt.Sprintf("%s %s on %s (host end %s)", c.Name, it.Name, it.Network, cp.iface)
		switch {
		case st.Mode == ModeEmulated:
			cp.netns = NetnsName(st.Lab, c.Host)
		case !slices.Contains(st.Hosts, c.Host):
			return cp, Usagef("container %s is on host %s, which is not this machine's part of lab %s: run ovslab capture there", c.Name, c.Host, st.Lab)
		}
		return cp, nil
	}
	return CapturePoint{}, Usagef("container %s has no interface %q (it has %s)", c.Name, iface, strings.Join(names, ", "))
}

func containerByName(t *topology.Topology, name string) (topology.Container, bool) {
	for _, c := range t.Containers {
		if c.Name == name {
			return c, true
		}
	}
	return topology.Container{}, false
}

func containerNames(t *topology.Topology) []string {
	var out []string
	for _, c := range t.Containers {
		out = append(out, c.Name)
	}
	return out
}

// Capture writes the frames at cp to w as a pcap stream until ctx is done
// or count frames (0: no limit) were written, and returns how many it
// wrote. The stream is a valid pcap whenever it returns.
func Capture(ctx context.Context, cp CapturePoint, w io.Writer, count int) (int, error) {
	n, err := capture.Run(ctx, capture.Spec{Netns: nsutil.Path(cp.netns), Iface: cp.iface, Count: count}, w)
	if err != nil {
		return n, fmt.Errorf("capture %s: %w", cp.What, err)
	}
	return n, nil
}
