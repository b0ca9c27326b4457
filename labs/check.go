package labs

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"time"

	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/topology"
)

// Check kinds.
const (
	CheckPing    = "ping"    // a container reaches another on its network
	CheckGateway = "gateway" // a container reaches its network's gateway
	CheckPMTU    = "pmtu"    // a full 1500-byte DF packet crosses the tunnel
	CheckNAT     = "nat"     // a container reaches the emulated WAN through NAT
	CheckTunnel  = "tunnel"  // vswitchd has the VXLAN port open, without error
	CheckHost    = "host"    // the host's daemons and containers are as planned
)

// CheckResult is one line of `ovslab check`.
type CheckResult struct {
	Kind   string `json:"kind"`
	From   string `json:"from"`
	To     string `json:"to"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// CheckReport is everything `ovslab check` found.
type CheckReport struct {
	Lab     string        `json:"lab"`
	OK      bool          `json:"ok"`
	Results []CheckResult `json:"results"`
}

type probeJob struct {
	res   CheckResult
	netns string
	echo  probe.Echo
}

// RunCheck tests the lab as a network engineer would: every container
// against every other on each network and against its gateway, a full-size
// DF packet across each pair of hosts, the WAN through NAT (emulated labs),
// and every tunnel port and host as OVS and Docker report them.
func RunCheck(ctx context.Context, lab string, o Options) (*CheckReport, error) {
	state, src, err := loadLab(lab)
	if err != nil {
		return nil, err
	}
	st := collectStatus(ctx, state, src, o)
	rep := &CheckReport{Lab: lab}
	pids := map[string]int{}
	for _, h := range st.Hosts {
		rep.Results = append(rep.Results, hostResults(h)...)
		for _, c := range h.Containers {
			if c.State == "running" && c.pid > 0 {
				pids[c.Name] = c.pid
			}
		}
	}
	jobs := probeJobs(src.Topo, state, pids)
	rep.Results = append(rep.Results, runProbes(jobs)...)
	rep.OK = true
	for _, r := range rep.Results {
		rep.OK = rep.OK && r.OK
	}
	if err := saveLastCheck(rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func hostResults(h HostStatus) []CheckResult {
	var out []CheckResult
	r := CheckResult{Kind: CheckHost, From: h.Name, To: h.OVSDB, OK: h.OK()}
	if !r.OK {
		r.Detail = "see ovslab status"
		if len(h.Problems) > 0 {
			r.Detail = h.Problems[0]
		}
	}
	out = append(out, r)
	for _, b := range h.Bridges {
		for _, p := range b.Ports {
			if p.Type != "vxlan" {
				continue
			}
			t := CheckResult{Kind: CheckTunnel, From: h.Name + "/" + b.Name, To: p.Options["remote_ip"] + " key " + p.Options["key"]}
			t.OK = p.Error == "" && p.OFPort > 0 && p.Protected
			switch {
			case p.Error != "":
				t.Detail = p.Error
			case p.OFPort <= 0:
				t.Detail = "vswitchd has not opened the port"
			case !p.Protected:
				t.Detail = "not protected: a mesh of three or more hosts would loop broadcasts"
			}
			out = append(out, t)
		}
	}
	return out
}

// probeJobs lists the pings to make. Full-size DF probes go one way per
// pair of hosts and network: that is enough to prove the underlay MTU.
func probeJobs(t *topology.Topology, st *State, pids map[string]int) []probeJob {
	var jobs []probeJob
	add := func(kind, from, to string, pid int, dst netip.Addr, size int, df bool) {
		r := CheckResult{Kind: kind, From: from, To: fmt.Sprintf("%s (%s)", to, dst)}
		jobs = append(jobs, probeJob{res: r, netns: fmt.Sprintf("/proc/%d/ns/net", pid),
			echo: probe.Echo{Dst: dst, Size: size, DF: df, Timeout: time.Second, Tries: 3}})
	}
	for _, n := range t.Networks {
		members := membersOf(t, n.Name)
		for _, a := range members {
			pid := pids[a.container.Name]
			if pid == 0 {
				continue // reported by the host check
			}
			if n.Gateway != nil {
				add(CheckGateway, a.container.Name, n.Gateway.Host, pid, n.Gateway.Address, 56, false)
			}
			pmtuDone := map[string]bool{}
			for _, b := range members {
				if a.container.Name == b.container.Name {
					continue
				}
				add(CheckPing, a.container.Name, b.container.Name, pid, b.iface.Address, 56, false)
				if a.container.Host != b.container.Host && a.container.Name < b.container.Name && !pmtuDone[b.container.Host] {
					pmtuDone[b.container.Host] = true
					add(CheckPMTU, a.container.Name, b.container.Name, pid, b.iface.Address, topology.ContainerMTU-28, true)
				}
			}
		}
		if st.Mode == ModeEmulated && n.Gateway != nil && n.Gateway.NAT {
			wan, _ := wanAddrs(t.Emulation.WAN)
			for _, a := range members {
				if pid := pids[a.container.Name]; pid != 0 && a.idx == 0 {
					add(CheckNAT, a.container.Name, "wan", pid, wan.Addr(), 56, false)
				}
			}
		}
	}
	return jobs
}

type member struct {
	container topology.Container
	iface     topology.Interface
	idx       int
}

func membersOf(t *topology.Topology, network string) []member {
	var out []member
	for _, c := range t.Containers {
		for i, ifc := range c.Interfaces {
			if ifc.Network == network {
				out = append(out, member{c, ifc, i})
			}
		}
	}
	return out
}

// runProbes runs the probes a few at a time: each one waits up to seconds
// for a reply that should come in a millisecond.
func runProbes(jobs []probeJob) []CheckResult {
	out := make([]CheckResult, len(jobs))
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := j.res
			rtt, err := probe.Ping(j.netns, j.echo)
			r.OK = err == nil
			if err != nil {
				r.Detail = err.Error()
				if j.echo.DF {
					r.Detail = fmt.Sprintf("no reply to %d-byte DF packets: the underlay drops full-size VXLAN frames; raise underlay.mtu to %d", j.echo.Size+28, topology.DefaultUnderlayMTU)
				}
			} else {
				r.Detail = fmt.Sprintf("%d bytes, %s", j.echo.Size+28, rtt.Round(10*time.Microsecond))
			}
			out[i] = r
		}()
	}
	wg.Wait()
	sort.SliceStable(out, func(a, b int) bool { return kindOrder(out[a].Kind) < kindOrder(out[b].Kind) })
	return out
}

func kindOrder(k string) int {
	for i, x := range []string{CheckHost, CheckTunnel, CheckPing, CheckGateway, CheckPMTU, CheckNAT} {
		if x == k {
			return i
		}
	}
	return 99
}
