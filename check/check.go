package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
	"golang.org/x/sync/errgroup"
)

// Check kinds.
const (
	KindPing    = "ping"    // a container reaches another on its network
	KindGateway = "gateway" // a container reaches its network's gateway
	KindPMTU    = "pmtu"    // a full 1500-byte DF packet crosses the tunnel
	KindNAT     = "nat"     // a container reaches the emulated WAN through NAT
	KindTunnel  = "tunnel"  // vswitchd has the VXLAN port open, without error
	KindHost    = "host"    // the host's daemons and containers are as planned
	KindIsolate = "isolate" // an ARP request does not cross from one network to another
)

// Result is one line of `ovslab check`.
type Result struct {
	Kind   string `json:"kind"`
	From   string `json:"from"`
	To     string `json:"to"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Want, Message and Skipped belong to expect: entries (expect.go).
	Want    string `json:"want,omitempty"`    // e.g. "reach: false"
	Message string `json:"message,omitempty"` // the lab author's words for a failure
	Skipped bool   `json:"skipped,omitempty"` // not graded from this machine; OK stays true
	Stage   string `json:"stage,omitempty"`   // an expectation of this stage's expect:, not the file's own
	// Path is what ovslab trace takes to explain a failed probe between
	// two nodes; nil when it passed or has no such path.
	Path *Path `json:"path,omitempty"`
}

// Path is a probe's path as ovslab trace takes it (trace.Run).
type Path struct {
	From string `json:"from"` // a container or a host with a host port
	To   string `json:"to"`   // as expect: takes it
	Size int    `json:"size"` // the probe's IP size, sent with Don't Fragment when it is full size
	// All: the lab's hosts are driven from one machine (check --all),
	// where trace --all reads them.
	All bool `json:"all,omitempty"`
}

// Command is the ovslab trace command line that explains the path.
func (p Path) Command(lab string) string {
	all := ""
	if p.All {
		all = " --all"
	}
	return fmt.Sprintf("ovslab trace%s %s %s %s --size %d", all, lab, p.From, p.To, p.Size)
}

// keepPaths drops the paths of results that passed: only a failure
// needs explaining.
func keepPaths(rs []Result) {
	for i := range rs {
		if rs[i].OK {
			rs[i].Path = nil
		}
	}
}

// Report is everything `ovslab check` found.
type Report struct {
	Lab string `json:"lab"`
	// Stage is the exercise's stage that was graded: its expect: with
	// the file's own ("" for a lab without stages).
	Stage   string   `json:"stage,omitempty"`
	OK      bool     `json:"ok"`
	Results []Result `json:"results"`
}

// probeHead is what a probe's Result says before it runs: a job holds
// this, not a whole Result, as a check --full holds most of a million.
type probeHead struct {
	Kind, From, To string
	Path           *Path
}

func (h probeHead) result() Result {
	return Result{Kind: h.Kind, From: h.From, To: h.To, Path: h.Path}
}

type probeJob struct {
	res   probeHead
	netns string
	echo  probe.Echo
	arpOn string // an isolation sample: ARP for echo.Dst out of this interface, expecting silence
	fix   bool   // a failure may say what to change (topology.Hints)
}

// Options are the knobs of check.
type Options struct {
	labs.Reporter
	labs.Daemons
	Full bool // the whole probe matrix, not the linear sample
	// Docker, when set, is Docker's view of many labs read at once
	// (labs.ReadDockerView), for a class's copies.
	Docker *labs.DockerView
}

// grade tests the lab as a network engineer would, with probes that
// grow linearly with the lab (see probeJobs) unless o.Full asks for the
// whole matrix, every tunnel port and host as OVS and Docker report them,
// and every expect: entry of the file (expect.go). Probes run in parallel
// and stop when ctx ends.
func grade(ctx context.Context, lab string, o Options) (*Report, error) {
	state, src, err := labs.Load(lab)
	if err != nil {
		return nil, err
	}
	st := labs.StatusOf(ctx, state, src, labs.StatusOptions{Reporter: o.Reporter, Daemons: o.Daemons, Docker: o.Docker, NoRules: true})
	rep := &Report{Lab: lab, Stage: state.Stage}
	pids := map[string]int{}
	for _, h := range st.Hosts {
		rep.Results = append(rep.Results, hostResults(h)...)
		for _, c := range h.Containers {
			if c.State == "running" && c.PID > 0 {
				pids[c.Name] = c.PID
			}
		}
	}
	jobs := probeJobs(src.Topo, state, pids, o.Full)
	res, err := runProbes(ctx, jobs, o.Progressf)
	if err != nil {
		return nil, err
	}
	rep.Results = append(rep.Results, res...)
	rep.Results = append(rep.Results, runExpectations(ctx, src.Topo, expectations(src.Topo, state), state, pids)...)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rep.OK = true
	for _, r := range rep.Results {
		rep.OK = rep.OK && r.OK
	}
	if err := saveLast(rep); err != nil {
		return nil, err
	}
	return rep, nil
}

func hostResults(h labs.HostStatus) []Result {
	var out []Result
	r := Result{Kind: KindHost, From: h.Name, To: h.OVSDB, OK: h.OK()}
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
			t := Result{Kind: KindTunnel, From: h.Name + "/" + b.Name, To: p.Options["remote_ip"] + " key " + p.Options["key"]}
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

// probeJobs lists the pings to make. By default the count grows linearly
// with the lab: each container pings its gateway and one container on
// its own and on every other host of each of its networks (peers chosen
// round-robin, so every container is also a target); one full-size DF
// packet crosses each pair of hosts per network, which is what proves the
// underlay MTU; and one container per host and NAT'd network reaches the
// WAN. full pings every pair, sends DF between every pair of containers on
// different hosts, and tries the WAN from every container.
func probeJobs(t *topology.Topology, st *labs.State, pids map[string]int, full bool) []probeJob {
	var jobs []probeJob
	netnses := make(map[string]string, len(pids)) // one string per container, shared by its probes
	netnsOf := func(name string) string {
		p, ok := netnses[name]
		if !ok {
			p = fmt.Sprintf("/proc/%d/ns/net", pids[name])
			netnses[name] = p
		}
		return p
	}
	add := func(kind string, a, b topology.Member, dst netip.Addr, to string, size int, df bool) {
		r := probeHead{Kind: kind, From: a.Container.Name, To: fmt.Sprintf("%s (%s)", to, dst), Path: probePath(t, a, b, dst, kind, size)}
		jobs = append(jobs, probeJob{res: r, netns: netnsOf(a.Container.Name),
			echo: probe.Echo{Dst: dst, Size: size, DF: df, Timeout: time.Second, Tries: 3}})
	}
	const small = 56
	firstOn := map[string][]topology.Member{}
	sends := func(m topology.Member) bool { return pids[m.Container.Name] != 0 }
	firstSender := func(ms []topology.Member) *topology.Member {
		for i := range ms {
			if sends(ms[i]) {
				return &ms[i]
			}
		}
		return nil
	}
	for _, n := range t.Networks {
		// Every member is a target; only those running here send (on a
		// real host, this host's own; a stopped one is reported by the
		// host check).
		all := t.Members(n.Name)
		firstOn[n.Name] = all
		untagged := slices.DeleteFunc(slices.Clone(all), func(m topology.Member) bool { return m.Iface.VLAN != 0 })
		jobs = append(jobs, hostPairJobs(t, st, n, untagged, pids)...)
		// Each VLAN of the network is a segment of its own: probes stay
		// inside one, as the tags mean them to.
		for _, members := range vlanSegments(all) {
			byHost := map[string][]topology.Member{}
			for _, m := range members {
				byHost[m.Container.Host] = append(byHost[m.Container.Host], m)
			}
			hosts := make([]string, 0, len(byHost))
			for h := range byHost {
				hosts = append(hosts, h)
			}
			sort.Strings(hosts)
			for i, a := range members {
				if !sends(a) {
					continue
				}
				if n.Gateway != nil && a.Iface.VLAN == 0 { // the gateway is untagged
					add(KindGateway, a, topology.Member{}, n.Gateway.Address, n.Gateway.Host, small, false)
				}
				for _, h := range hosts {
					peers := byHost[h]
					if full {
						for _, b := range peers {
							if b.Container.Name != a.Container.Name {
								add(KindPing, a, b, b.Iface.Address, b.Container.Name, small, false)
								if h != a.Container.Host {
									add(KindPMTU, a, b, b.Iface.Address, b.Container.Name, pathMTU(a, b)-28, true)
								}
							}
						}
						continue
					}
					peers = slices.DeleteFunc(slices.Clone(peers), func(b topology.Member) bool { return b.Container.Name == a.Container.Name })
					if len(peers) > 0 {
						b := peers[i%len(peers)]
						add(KindPing, a, b, b.Iface.Address, b.Container.Name, small, false)
					}
				}
			}
			if !full {
				for x, h1 := range hosts {
					for _, h2 := range hosts[x+1:] {
						// From whichever end runs here; both, on a real
						// host's own check, is the other host's job too.
						a, b := firstSender(byHost[h1]), byHost[h2][0]
						if a == nil {
							a, b = firstSender(byHost[h2]), byHost[h1][0]
						}
						if a != nil {
							add(KindPMTU, *a, b, b.Iface.Address, b.Container.Name, pathMTU(*a, b)-28, true)
						}
					}
				}
			}
			for _, pr := range hostPortProbes(n, slices.DeleteFunc(slices.Clone(members), func(m topology.Member) bool { return !sends(m) }), full) {
				add(KindPing, pr.from, topology.Member{}, pr.to.Address, pr.to.Host, small, false)
			}
			if st.Mode == labs.ModeEmulated && n.Gateway != nil && n.Gateway.NAT && members[0].Iface.VLAN == 0 {
				for _, h := range hosts {
					for _, a := range byHost[h] {
						if a.Index != 0 || !sends(a) {
							continue // its default route is on another network
						}
						add(KindNAT, a, topology.Member{}, t.WANAddr(), "wan", small, false)
						if !full {
							break
						}
					}
				}
			}
		}
		if st.Mode == labs.ModeEmulated && n.Gateway != nil && n.Gateway.NAT {
			jobs = append(jobs, gatewayNATJob(t.Name, n, t.WANAddr()))
		}
	}
	// Isolation samples: one per pair of networks, from a container on the
	// first to one on the second, on the same host where one is (the two
	// bridges side by side are what must stay apart).
	for x, na := range t.Networks {
		for _, nb := range t.Networks[x+1:] {
			as := slices.DeleteFunc(slices.Clone(firstOn[na.Name]), func(m topology.Member) bool { return !sends(m) })
			bs := firstOn[nb.Name]
			if len(as) == 0 || len(bs) == 0 {
				continue
			}
			a, b := as[0], bs[0]
			for _, c := range bs {
				if c.Container.Host == a.Container.Host && c.Container.Name != a.Container.Name {
					b = c
					break
				}
			}
			if b.Container.Name == a.Container.Name {
				continue // one multi-homed container: its own two interfaces
			}
			r := probeHead{Kind: KindIsolate, From: a.Container.Name + "." + na.Name, To: fmt.Sprintf("%s.%s (%s)", b.Container.Name, nb.Name, b.Iface.Address)}
			jobs = append(jobs, probeJob{res: r, netns: netnsOf(a.Container.Name),
				echo: probe.Echo{Dst: b.Iface.Address, Timeout: 500 * time.Millisecond}, arpOn: a.Iface.Name})
		}
	}
	fix := t.HintsIn(st.Stage).Fix()
	for i := range jobs {
		jobs[i].fix = fix
	}
	return uniqueJobs(jobs)
}

// uniqueJobs drops a probe planned twice (the same kind, ends and
// packet), keeping the first: a host pair's small ping can be one the
// containers' sample already sends.
func uniqueJobs(jobs []probeJob) []probeJob {
	type key struct {
		kind, from, to string
		size           int
		df             bool
	}
	seen := make(map[key]bool, len(jobs))
	return slices.DeleteFunc(jobs, func(j probeJob) bool {
		k := key{j.res.Kind, j.res.From, j.res.To, j.echo.Size, j.echo.DF}
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
}

// sweepParallel bounds the sources probing at once, and sweepWindow the
// echoes each has awaiting a reply: each waits up to seconds for a reply
// that should come in a millisecond, so many can wait at once.
const (
	sweepParallel = 8
	sweepWindow   = 16
)

// runProbes runs the probes, each source's echoes as one sweep (one
// socket in its netns) and sweepParallel sources at a time, reporting
// progress as they finish. It returns ctx's error if ctx ends first.
func runProbes(ctx context.Context, jobs []probeJob, progress func(string, ...any)) ([]Result, error) {
	out := make([]Result, len(jobs))
	var done atomic.Int64
	step := int64(max(len(jobs)/10, 50))
	for _, phase := range probePhases(jobs) {
		var g errgroup.Group
		g.SetLimit(sweepParallel)
		for _, group := range bySource(jobs, phase) {
			g.Go(func() error {
				if j := jobs[group[0]]; j.arpOn != "" {
					out[group[0]] = isolation(ctx, j)
				} else {
					sweepJobs(ctx, jobs, group, out)
				}
				n := done.Add(int64(len(group)))
				if n/step != (n-int64(len(group)))/step {
					progress("probes: %d of %d done", n, len(jobs))
				}
				return nil // a failed probe is a result, not an error
			})
		}
		_ = g.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	keepPaths(out)
	sort.SliceStable(out, func(a, b int) bool { return kindOrder(out[a].Kind) < kindOrder(out[b].Kind) })
	return out, nil
}

// bySource groups the jobs of a phase (indexes into jobs) that one sweep
// can send: the same netns, source address and TTL, in order of first
// appearance. An isolation sample is a group of its own.
func bySource(jobs []probeJob, phase []int) [][]int {
	type key struct {
		netns string
		src   netip.Addr
		ttl   int
	}
	at := map[key]int{}
	var groups [][]int
	for _, i := range phase {
		j := jobs[i]
		if j.arpOn != "" {
			groups = append(groups, []int{i})
			continue
		}
		k := key{j.netns, j.echo.Src, j.echo.TTL}
		g, ok := at[k]
		if !ok {
			g = len(groups)
			at[k] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	return groups
}

// sweepJobs sends the group's echoes as one sweep and writes their
// results into out.
func sweepJobs(ctx context.Context, jobs []probeJob, group []int, out []Result) {
	echoes := make([]probe.Echo, len(group))
	for k, i := range group {
		echoes[k] = jobs[i].echo
	}
	outcomes, err := probe.Sweep(ctx, jobs[group[0]].netns, echoes, sweepWindow)
	for k, i := range group {
		o := probe.Outcome{Err: err}
		if err == nil {
			o = outcomes[k]
		}
		out[i] = echoResult(jobs[i], o)
	}
}

// isolation runs an isolation sample: silence passes.
func isolation(ctx context.Context, j probeJob) Result {
	r := j.res.result()
	heard, err := probe.ARP(ctx, j.netns, j.arpOn, j.echo.Dst, j.echo.Timeout)
	switch {
	case err != nil:
		r.Detail = err.Error()
	case heard && !j.fix:
		r.Detail = fmt.Sprintf("%s answered ARP from %s, on another network", j.echo.Dst, j.arpOn)
	case heard:
		r.Detail = fmt.Sprintf("%s answered ARP from %s: the two networks share one L2 segment; check which bridge each port is on (ovs-vsctl show)", j.echo.Dst, j.arpOn)
	default:
		r.OK, r.Detail = true, "no ARP reply, as two networks should"
	}
	return r
}

// echoResult is a ping probe's result from its outcome.
func echoResult(j probeJob, o probe.Outcome) Result {
	r := j.res.result()
	r.OK = o.Err == nil
	switch {
	case o.Err != nil && j.echo.DF && errors.Is(o.Err, probe.ErrNoReply):
		r.Detail = pmtuDetail(j.echo.Size+28, j.echo.Tries, j.fix)
	case o.Err != nil:
		r.Detail = o.Err.Error()
	default:
		r.Detail = fmt.Sprintf("%d bytes, %s", j.echo.Size+28, o.RTT.Round(10*time.Microsecond))
	}
	return r
}

// pmtuDetail says what a full-size probe of size bytes that got no reply
// in tries means: with fix, where the frames are lost and what to change;
// else only what was seen.
func pmtuDetail(size, tries int, fix bool) string {
	if !fix {
		return fmt.Sprintf("no reply to %d-byte packets with Don't Fragment (%d tries)", size, tries)
	}
	return fmt.Sprintf("no reply to %d-byte DF packets: the underlay drops full-size VXLAN frames; raise underlay.mtu to %d (or lower the interfaces' mtu)",
		size, max(size+topology.VXLANOverhead, topology.DefaultUnderlayMTU))
}

// probePhases are the built-in probes in the order smallFirst gives.
func probePhases(jobs []probeJob) [][]int {
	return smallFirst(len(jobs), func(i int) bool { return jobs[i].echo.DF })
}

// expectPhases are the expect: entries in the order smallFirst gives.
func expectPhases(exps []topology.Expectation) [][]int {
	return smallFirst(len(exps), func(i int) bool { return exps[i].MTU > 0 })
}

// smallFirst splits the indexes of n probes into two phases, run one after
// the other: those that send small packets, then those that send full-size
// Don't Fragment ones (big). Where the underlay is too small, OVS's
// userspace datapath loses the rest of a batch of frames it hands the NIC
// after one too big (vswitchd logs "Message too long"), so a small echo
// sent right after a full-size one was lost with it, and a path that only
// drops large frames read as broken.
func smallFirst(n int, big func(i int) bool) [][]int {
	var small, large []int
	for i := range n {
		if big(i) {
			large = append(large, i)
		} else {
			small = append(small, i)
		}
	}
	return [][]int{small, large}
}

func kindOrder(k string) int {
	for i, x := range []string{KindHost, KindTunnel, KindPing, KindGateway, KindPMTU, KindNAT, KindIsolate} {
		if x == k {
			return i
		}
	}
	return 99
}
