package labs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/topology"
)

// scaleLab is hosts x per containers on two networks spanning every host.
func scaleLab(t *testing.T, hosts, per int) *topology.Topology {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: scale\nhosts:\n")
	for h := 1; h <= hosts; h++ {
		fmt.Fprintf(&b, "  h%d: {underlay: 172.31.%d.100/24, gateway: 172.31.%d.1}\n", h, h, h)
	}
	b.WriteString("networks:\n  net1: {subnet: 10.91.0.0/16, vni: 5001, gateway: {host: h1, nat: true}}\n  net2: {subnet: 10.92.0.0/16, vni: 5002}\ncontainers:\n")
	for h := 1; h <= hosts; h++ {
		for i := 1; i <= per; i++ {
			n := 1 + i%2
			fmt.Fprintf(&b, "  c%dx%d: {host: h%d, image: ovslab/busybox, network: net%d, address: 10.9%d.%d.%d}\n", h, i, h, n, n, h, i+1)
		}
	}
	topo, err := topology.Parse("scale.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	topo.ForEmulation(false)
	return topo
}

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
	topo := scaleLab(t, 4, 50)
	pids := map[string]int{}
	for i, c := range topo.Containers {
		pids[c.Name] = 1000 + i
	}
	st := &State{Lab: "scale", Mode: ModeEmulated}
	def, full := probeJobs(topo, st, pids, false), probeJobs(topo, st, pids, true)
	n := len(topo.Containers)
	if len(def) > 6*n {
		t.Errorf("default plan: %d probes for %d containers, want at most %d (linear)", len(def), n, 6*n)
	}
	k := countKinds(def)
	// 2 networks x C(4,2) host pairs; one WAN probe per host on the NAT'd
	// network, and one from its gateway; one isolation sample for the one
	// pair of networks.
	if k[CheckPMTU] != 12 || k[CheckNAT] != 5 || k[CheckIsolate] != 1 {
		t.Errorf("default plan kinds = %v, want 12 pmtu, 5 nat, 1 isolate", k)
	}
	if k[CheckPing] != n*4 || k[CheckGateway] != n/2 {
		t.Errorf("default plan: %d pings, %d gateway probes; want %d (own host + 3 others each) and %d", k[CheckPing], k[CheckGateway], n*4, n/2)
	}
	if kf := countKinds(full); kf[CheckPing] != 2*(n/2)*(n/2-1) {
		t.Errorf("full plan: %d pings, want every ordered pair on each network (%d)", kf[CheckPing], 2*(n/2)*(n/2-1))
	}
}

// TestProbePlanOfARealHost: a real host's check sends only from its own
// containers, but to containers on every host, so the tunnels are tested.
func TestProbePlanOfARealHost(t *testing.T) {
	topo := scaleLab(t, 2, 4)
	pids := map[string]int{}
	for i, c := range topo.Containers {
		if c.Host == "h1" {
			pids[c.Name] = 1000 + i
		}
	}
	jobs := probeJobs(topo, &State{Lab: "scale", Mode: ModeReal}, pids, false)
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
	topo := scaleLab(t, 2, 4)
	pids := map[string]int{}
	for i, c := range topo.Containers {
		pids[c.Name] = 1000 + i
	}
	jobs := probeJobs(topo, &State{Lab: "scale", Mode: ModeEmulated}, pids, false)
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
