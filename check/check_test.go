package check

import (
	"fmt"
	"strings"
	"testing"

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
		pids := map[string]int{"a": 1, "b": 2, "c": 3, "d": 4}
		st := &labs.State{Lab: "ex", Mode: labs.ModeEmulated}
		for _, j := range probeJobs(topo, st, pids, false) {
			if j.fix != (hints == "") {
				t.Errorf("%q: %s %s -> %s: fix = %v", hints, j.res.Kind, j.res.From, j.res.To, j.fix)
			}
		}
	}
}
