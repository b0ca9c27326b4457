package labs

import (
	"context"
	"errors"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// PortStatus is OVS's view of a lab's port, named here so the command
// line formats it without knowing OVS.
type PortStatus = ovs.PortStatus

// Status is a lab as this machine holds it, each object with its state.
type Status struct {
	Lab      string       `json:"lab"`
	Mode     string       `json:"mode"`
	Source   string       `json:"source"`
	Complete bool         `json:"complete"`           // false: an up is running or was interrupted
	NoState  bool         `json:"no_state,omitempty"` // found by its marks alone (see Unrecorded)
	Stage    string       `json:"stage,omitempty"`    // the exercise's current stage (StageOf tells more)
	Hosts    []HostStatus `json:"hosts"`
}

// HostStatus is one host of the lab.
type HostStatus struct {
	Name       string             `json:"name"`
	Netns      string             `json:"netns,omitempty"`
	OVSDB      string             `json:"ovsdb"`
	OVSDBUp    bool               `json:"ovsdb_up"`
	VswitchdUp bool               `json:"vswitchd_up"`
	Bridges    []ovs.BridgeStatus `json:"bridges"`
	Containers []ContainerStatus  `json:"containers"`
	IPForward  bool               `json:"ip_forward"`
	NAT        []string           `json:"nat"`
	Problems   []string           `json:"problems,omitempty"`
	plan       *topology.HostPlan // what the host should hold
}

// ContainerStatus is one container and its interfaces.
type ContainerStatus struct {
	Name       string            `json:"name"`   // the node's name in the lab
	Docker     string            `json:"docker"` // the Docker container's name
	ID         string            `json:"id,omitempty"`
	Image      string            `json:"image"`
	State      string            `json:"state"` // running, exited, ..., or missing
	PID        int               `json:"-"`     // for check's probes into its netns
	Interfaces []InterfaceStatus `json:"interfaces"`
}

// InterfaceStatus is one container interface and its veth.
type InterfaceStatus struct {
	Name     string   `json:"name"`
	Network  string   `json:"network"`
	Address  string   `json:"address"`
	HostVeth string   `json:"host_veth"`
	VLAN     int      `json:"vlan,omitempty"`  // OVS tag of the host veth's port, as planned
	MTU      int      `json:"mtu,omitempty"`   // inside the container, as found
	Qdisc    string   `json:"qdisc,omitempty"` // root qdisc inside the container, as found ("none": plain)
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"`
}

// OK reports whether every object of the host is in its wanted state.
func (h HostStatus) OK() bool {
	if len(h.Problems) > 0 || !h.OVSDBUp {
		return false
	}
	for _, c := range h.Containers {
		if c.State != "running" {
			return false
		}
		for _, i := range c.Interfaces {
			if !i.OK {
				return false
			}
		}
	}
	for _, b := range h.Bridges {
		for _, p := range b.Ports {
			if p.Error != "" || p.OFPort < 0 {
				return false
			}
		}
	}
	return true
}

// GetStatus collects the lab's status. Unreachable daemons and missing
// objects are reported in the status, not as errors.
func GetStatus(ctx context.Context, lab string, o StatusOptions) (*Status, error) {
	if _, err := LoadState(lab); errors.Is(err, errNoLab) || errors.Is(err, errBadState) {
		return statusByMarks(ctx, lab, o)
	}
	st, src, err := Load(lab)
	if err != nil {
		return nil, err
	}
	return StatusOf(ctx, st, src, o), nil
}

// Load reads a lab's state and the topology it was built from: a usage
// error (exit 2) when the lab has no state here.
func Load(lab string) (*State, *Source, error) {
	st, err := LoadState(lab)
	if err != nil {
		return nil, nil, usageIfMissing(err)
	}
	src, err := fromState(st)
	if err != nil {
		return nil, nil, err
	}
	return st, src, nil
}

// StatusOf collects the status of the lab Load read. Unreachable daemons
// and missing objects are reported in the status, not as errors.
func StatusOf(ctx context.Context, st *State, src *Source, o StatusOptions) *Status {
	lab := st.Lab
	out := &Status{Lab: lab, Mode: st.Mode, Source: st.Source, Complete: st.Complete, Stage: st.Stage}
	list, derr := o.Docker.lister(ctx, src.Topo, st.PIDs)
	if list.close != nil {
		defer list.close()
	}
	out.Hosts = make([]HostStatus, len(st.Hosts))
	for k, h := range st.Hosts {
		loc := st.hostLocation(h, o.OVSDB)
		out.Hosts[k] = HostStatus{Name: h, OVSDB: loc.ovsdb, Netns: loc.netns}
		if p, err := src.Topo.Plan(h); err == nil {
			out.Hosts[k].plan = p
		}
	}
	// The hosts at once: each waits on its own OVSDB and netns.
	eachIndex(len(st.Hosts), len(st.Hosts), func(k int) {
		hs := &out.Hosts[k]
		loc := st.hostLocation(hs.Name, o.OVSDB)
		if loc.emulated {
			_, hs.VswitchdUp = ovs.DaemonsRunning(loc.runDir)
			if !nsutil.Exists(hs.Netns) {
				hs.Problems = append(hs.Problems, "netns "+hs.Netns+" is missing")
			}
		}
		hostOVS(ctx, hs, st.Mode != ModeEmulated)
		if hs.plan != nil {
			hs.Problems = append(hs.Problems, hostPortProblems(hs.Netns, hs.plan)...)
		}
		if derr != nil {
			hs.Problems = append(hs.Problems, derr.Error())
		} else {
			hostContainers(hs, list.host, loc.netnsPath())
		}
	})
	if !o.NoRules {
		for k := range out.Hosts {
			hostRules(&out.Hosts[k], st.hostLocation(out.Hosts[k].Name, o.OVSDB).netnsPath(), lab)
		}
	}
	return out
}

// hostRules reads the host's ip_forward and the lab's NAT rules.
func hostRules(hs *HostStatus, netnsPath, lab string) {
	if on, err := nat.IPForward(netnsPath); err == nil {
		hs.IPForward = on
	}
	if rules, err := nat.List(netnsPath, lab); err == nil {
		for _, r := range rules {
			hs.NAT = append(hs.NAT, r.String())
		}
	} else {
		hs.Problems = append(hs.Problems, "iptables: "+err.Error())
	}
}

func hostOVS(ctx context.Context, hs *HostStatus, real bool) {
	hostRowsByMarks(ctx, hs, labOf(hs))
	if real && hs.OVSDBUp {
		hs.VswitchdUp = true // not ours to manage; OVSDB answering is what we can see
	}
}

func labOf(hs *HostStatus) string {
	if hs.plan != nil {
		return hs.plan.Lab
	}
	return ""
}

func hostContainers(hs *HostStatus, list func(lab, host string) ([]containers.Info, error), netnsPath string) {
	if hs.plan == nil || list == nil {
		return
	}
	have, err := list(hs.plan.Lab, hs.Name)
	if err != nil {
		hs.Problems = append(hs.Problems, err.Error())
		return
	}
	byName := map[string]containers.Info{}
	for _, c := range have {
		byName[c.Name] = c
	}
	hostNS, err := nsutil.Open(netnsPath) // one for all of the host's links
	if err != nil {
		hs.Problems = append(hs.Problems, err.Error())
		return
	}
	defer hostNS.Close()
	qdiscs, err := containers.ReadRootQdiscs(hostNS)
	if err != nil {
		hs.Problems = append(hs.Problems, "qdiscs: "+err.Error())
		qdiscs = nil // each link asks for its own
	}
	hosts := hostsFile(hs.plan) // the same for every container: rendered once
	// A few containers at once: each is a dozen round trips to the kernel,
	// and a lab has hundreds.
	out := make([]ContainerStatus, len(hs.plan.Containers))
	stale := make([]bool, len(out))
	eachIndex(len(out), DefaultJobs(), func(k int) {
		c := hs.plan.Containers[k]
		info, ok := byName[c.Docker]
		out[k], stale[k] = containerStatus(c, info, ok, netnsPath, hostNS, qdiscs, hosts)
	})
	for k, cs := range out {
		hs.Containers = append(hs.Containers, cs)
		if stale[k] {
			hs.Problems = append(hs.Problems, "container "+cs.Name+": /etc/hosts does not hold the lab's names; run ovslab up again")
		}
	}
}

// containerStatus is the status of container c, which Docker listed as
// info if ok, and whether its /etc/hosts is not the lab's. Its process
// is opened once for all its links and its names.
func containerStatus(c topology.ContainerPlan, info containers.Info, ok bool, netnsPath string, hostNS *nsutil.NS, qdiscs containers.RootQdiscs, hosts []byte) (ContainerStatus, bool) {
	cs := ContainerStatus{Name: c.Name, Docker: c.Docker, Image: c.Image, State: "missing"}
	var proc *containers.Process
	if ok {
		cs.ID, cs.State, cs.PID = shortID(info.ID), info.State, info.Pid
		if info.Pid > 0 {
			// On failure each step below opens it and says why.
			proc, _ = containers.OpenProcess(info.ID, info.Pid)
			defer proc.Close()
		}
	}
	for _, i := range c.Interfaces {
		is := InterfaceStatus{Name: i.Name, Network: i.Network, Address: i.Address.String(), HostVeth: i.HostVeth, VLAN: i.VLAN}
		if ok && info.Pid > 0 {
			l := containerLink(netnsPath, info.Pid, i)
			l.HostNS, l.HostQdiscs, l.ContainerID, l.Process = hostNS, qdiscs, info.ID, proc
			ls, err := containers.Inspect(l)
			if err != nil {
				is.Problems = append(is.Problems, err.Error())
			} else {
				is.OK, is.Problems = ls.OK(), ls.Problems
				is.MTU, is.Qdisc = ls.ContainerMTU, ls.ContainerQdisc
			}
		} else {
			is.Problems = append(is.Problems, "container is not running")
		}
		cs.Interfaces = append(cs.Interfaces, is)
	}
	stale := false
	if ok && info.Pid > 0 {
		if proc != nil {
			stale = !proc.HostsMatch(hosts)
		} else {
			stale = !containers.HostsMatch(info.ID, info.Pid, hosts)
		}
	}
	return cs, stale
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
