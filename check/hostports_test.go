package check

import (
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// hostPortsOnly is a lab whose only stations are the hosts themselves.
var hostPortsOnly = testenv.HostPortsLab("hp-only")

// TestHostPortPairs: a lab without containers still sends a full-size
// DF packet (and a small ping) across every pair of hosts on a network,
// from the hosts' own namespaces; a real host sends only its own.
func TestHostPortPairs(t *testing.T) {
	topo, err := topology.Parse("hp.yaml", []byte(hostPortsOnly))
	if err != nil {
		t.Fatal(err)
	}
	jobs := probeJobs(topo, &labs.State{Lab: "hp-only", Mode: labs.ModeEmulated, Hosts: topo.HostNames()}, nil, false)
	k := countKinds(jobs)
	if k[KindPMTU] != 3 || k[KindPing] != 3 {
		t.Fatalf("kinds %v, want 3 pmtu and 3 ping (one per pair of hosts)", k)
	}
	for _, j := range jobs {
		if j.res.Kind != KindPMTU {
			continue
		}
		if !strings.HasPrefix(j.netns, "/run/netns/hp-only-host") || !j.echo.Src.IsValid() || j.echo.Size != 1472 || !j.echo.DF {
			t.Errorf("%s -> %s: netns %q src %s size %d df %v", j.res.From, j.res.To, j.netns, j.echo.Src, j.echo.Size, j.echo.DF)
		}
		// host1 holds the gateway: trace cannot start there, its peers can.
		if strings.HasPrefix(j.res.From, "host1") != (j.res.Path == nil) {
			t.Errorf("%s -> %s: path %+v", j.res.From, j.res.To, j.res.Path)
		}
	}
	real := probeJobs(topo, &labs.State{Lab: "hp-only", Mode: labs.ModeReal, Hosts: []string{"host2"}}, nil, false)
	for _, j := range real {
		if !strings.HasPrefix(j.res.From, "host2") || j.netns != "" {
			t.Errorf("host2's own check sends %s -> %s from %q", j.res.From, j.res.To, j.netns)
		}
	}
	if len(real) == 0 {
		t.Error("host2's own check sends nothing to its peers")
	}
}
