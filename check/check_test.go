package check

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

func countKinds(jobs []probeJob) map[string]int {
	out := map[string]int{}
	for _, j := range jobs {
		out[j.res.Kind]++
	}
	return out
}

// TestProbePlanGrowsLinearly: the default check of 4 x 50 containers
// sends a few probes per container, where the full matrix sends one per
// pair; both reach every other host.
func TestProbePlanGrowsLinearly(t *testing.T) {
	topo := testenv.ScaleLab(t, 4, 50)
	pids := map[string]int{}
	for i, c := range topo.Containers {
		pids[c.Name] = 1000 + i
	}
	st := &labs.State{Lab: "scale", Mode: labs.ModeEmulated}
	def, full := probeJobs(topo, st, pids, false), probeJobs(topo, st, pids, true)
	n := len(topo.Containers)
	if len(def) > 6*n {
		t.Errorf("default plan: %d probes for %d containers, want at most %d (linear)", len(def), n, 6*n)
	}
	k := countKinds(def)
	// 2 networks x C(4,2) host pairs; one WAN probe per host on the NAT'd
	// network, and one from its gateway; one isolation sample for the one
	// pair of networks.
	if k[KindPMTU] != 12 || k[KindNAT] != 5 || k[KindIsolate] != 1 {
		t.Errorf("default plan kinds = %v, want 12 pmtu, 5 nat, 1 isolate", k)
	}
	if k[KindPing] != n*4 || k[KindGateway] != n/2 {
		t.Errorf("default plan: %d pings, %d gateway probes; want %d (own host + 3 others each) and %d", k[KindPing], k[KindGateway], n*4, n/2)
	}
	if kf := countKinds(full); kf[KindPing] != 2*(n/2)*(n/2-1) {
		t.Errorf("full plan: %d pings, want every ordered pair on each network (%d)", kf[KindPing], 2*(n/2)*(n/2-1))
	}
}

// TestProbePlanOfARealHost: a real host's check sends only from its own
// containers, but to containers on every host, so the tunnels are tested.
func TestProbePlanOfARealHost(t *testing.T) {
	topo := testenv.ScaleLab(t, 2, 4)
	pids := map[string]int{}
	for i, c := range topo.Containers {
		if c.Host == "h1" {
			pids[c.Name] = 1000 + i
		}
	}
	jobs := probeJobs(topo, &labs.State{Lab: "scale", Mode: labs.ModeReal}, pids, false)
	across := 0
	for _, j := range jobs {
		from, _, _ := strings.Cut(j.res.From, ".") // isolation samples say NODE.NETWORK
		c, ok := topo.ContainerByName(from)
		if !ok || c.Host != "h1" {
			t.Errorf("probe from %s, a container of h2, on h1's check", j.res.From)
		}
		if strings.HasPrefix(j.res.To, "c2x") {
			across++
		}
	}
	if across == 0 {
		t.Errorf("h1's check sends nothing to h2's containers: %v", jobs)
	}
}

// TestFullSizeProbesGoLast: check sends no full-size DF packet while a
// small probe is out (OVS loses the rest of a batch to the NIC after one too
// big), for the built-in probes and for expect: entries alike.
func TestFullSizeProbesGoLast(t *testing.T) {
	topo := testenv.ScaleLab(t, 2, 4)
	pids := map[string]int{}
	for i, c := range topo.Containers {
		pids[c.Name] = 1000 + i
	}
	jobs := probeJobs(topo, &labs.State{Lab: "scale", Mode: labs.ModeEmulated}, pids, false)
	phases := probePhases(jobs)
	if len(phases) != 2 || len(phases[0])+len(phases[1]) != len(jobs) || len(phases[1]) == 0 {
		t.Fatalf("phases %v of %d probes, want all of them in two, the DF ones in the second", phases, len(jobs))
	}
	for p, phase := range phases {
		for _, i := range phase {
			if jobs[i].echo.DF != (p == 1) {
				t.Errorf("phase %d holds probe %d (%s -> %s, DF %v)", p, i, jobs[i].res.From, jobs[i].res.To, jobs[i].echo.DF)
			}
		}
	}
	exp := []topology.Expectation{{MTU: 1500}, {Reach: true}, {RTTMax: 1}, {MTU: 9000}}
	got := expectPhases(exp)
	if fmt.Sprint(got) != "[[1 2] [0 3]]" {
		t.Errorf("expectation phases %v, want [[1 2] [0 3]]", got)
	}
}

// TestHintsInDetails: a lab that asks for symptoms gets check's details
// as what was seen; by default they also say what to change.
func TestHintsInDetails(t *testing.T) {
	if got := pmtuDetail(1500, 3, false); got != "no reply to 1500-byte packets with Don't Fragment (3 tries)" {
		t.Errorf("symptoms: %q", got)
	}
	if got := pmtuDetail(1500, 3, true); !strings.Contains(got, "raise underlay.mtu to 1554") {
		t.Errorf("fix: %q", got)
	}
	for _, hints := range []string{"", "hints: symptoms\n"} {
		topo, err := topology.Parse("ex.yaml", []byte(hints+expectLab))
		if err != nil {
			t.Fatal(err)
		}
		pids := map[string]int{"ca": 1, "cb": 2, "cc": 3, "cd": 4}
		st := &labs.State{Lab: "ex", Mode: labs.ModeEmulated}
		for _, j := range probeJobs(topo, st, pids, false) {
			if j.fix != (hints == "") {
				t.Errorf("%q: %s %s -> %s: fix = %v", hints, j.res.Kind, j.res.From, j.res.To, j.fix)
			}
		}
	}
}

// TestProbePaths: each probe between two nodes names the trace that
// explains it: small probes at their own size, DF probes at full size,
// NAT probes to wan; a result that passed keeps none.
func TestProbePaths(t *testing.T) {
	topo := testenv.ScaleLab(t, 2, 2)
	pids := map[string]int{}
	for i, c := range topo.Containers {
		pids[c.Name] = 1000 + i
	}
	seen := map[string]bool{}
	for _, j := range probeJobs(topo, &labs.State{Lab: "scale", Mode: labs.ModeEmulated}, pids, false) {
		p := j.res.Path
		switch j.res.Kind {
		case KindIsolate:
			if p != nil {
				t.Errorf("isolation sample %s -> %s has a path %+v", j.res.From, j.res.To, p)
			}
			continue
		case KindNAT:
			if p == nil && strings.Contains(j.res.From, "/") {
				continue // the gateway's own probe: no node to trace from
			}
		}
		if p == nil {
			t.Errorf("%s %s -> %s has no path", j.res.Kind, j.res.From, j.res.To)
			continue
		}
		want := 84
		if j.echo.DF {
			want = 1500
		}
		if p.From != j.res.From || p.Size != want {
			t.Errorf("%s %s -> %s: path %+v, want from %s size %d", j.res.Kind, j.res.From, j.res.To, *p, j.res.From, want)
		}
		seen[j.res.Kind+" "+p.To] = true
	}
	for _, k := range []string{"nat wan", "gateway 10.91.0.1", "pmtu c2x1"} {
		if !seen[k] {
			t.Errorf("no %s path among %v", k, seen)
		}
	}
	rs := []Result{{OK: true, Path: &Path{}}, {Path: &Path{From: "a", To: "b", Size: 84}}}
	keepPaths(rs)
	if rs[0].Path != nil || rs[1].Path == nil {
		t.Errorf("keepPaths: %+v", rs)
	}
	if got := rs[1].Path.Command("lab"); got != "ovslab trace lab a b --size 84" {
		t.Errorf("command %q", got)
	}
	rs[1].Path.All = true
	if got := rs[1].Path.Command("lab"); got != "ovslab trace --all lab a b --size 84" {
		t.Errorf("command %q", got)
	}
}

// TestBySource: one sweep per netns and source address, in order of first
// appearance; an isolation sample (ARP, not ICMP) goes alone.
func TestBySource(t *testing.T) {
	gw := netip.MustParseAddr("10.0.1.1")
	jobs := []probeJob{
		{netns: "/proc/1/ns/net"},                            // 0
		{netns: "/proc/2/ns/net"},                            // 1
		{netns: "/proc/1/ns/net", arpOn: "eth0"},             // 2
		{netns: "/proc/1/ns/net"},                            // 3
		{netns: "/proc/9/ns/net", echo: probe.Echo{Src: gw}}, // 4: a gateway, sourced
		{netns: "/proc/9/ns/net"},                            // 5
		{netns: "/proc/2/ns/net"},                            // 6
	}
	got := bySource(jobs, []int{0, 1, 2, 3, 4, 5, 6})
	want := [][]int{{0, 3}, {1, 6}, {2}, {4}, {5}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bySource = %v, want %v", got, want)
	}
	if got := bySource(jobs, []int{6, 3}); !reflect.DeepEqual(got, [][]int{{6}, {3}}) {
		t.Errorf("bySource of a phase = %v, want [[6] [3]]", got)
	}
}
