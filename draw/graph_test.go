package draw

import (
	"os"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/topology"
)

// referenceLab parses the reference lab of topology's testdata.
func referenceLab(t *testing.T) *topology.Topology {
	t.Helper()
	data, err := os.ReadFile("../topology/testdata/l3-vxlan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := topology.Parse("testdata/l3-vxlan.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func TestGraph(t *testing.T) {
	topo := referenceLab(t)
	dot := DOT(topo, nil)
	for _, want := range []string{
		`subgraph cluster_host1`, `subgraph cluster_host2`,
		`host1_br1 -- host2_br1 [label="VXLAN 5000", style=dashed]`,
		`host1_br2 -- host2_br2 [label="VXLAN 6000", style=dashed]`,
		`label="gateway 10.0.1.1 NAT"`, `c_doc3 -- host2_br1`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot)
		}
	}
	if strings.Count(dot, "VXLAN") != 2 {
		t.Errorf("DOT draws %d tunnels, want 2 (one per network and host pair)", strings.Count(dot, "VXLAN"))
	}
	mm := Mermaid(topo, nil)
	for _, want := range []string{"flowchart TB", `host1_br1 -.-|VXLAN 5000| host2_br1`, `subgraph host2["host2 172.16.20.100/24"]`} {
		if !strings.Contains(mm, want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mm)
		}
	}
}
