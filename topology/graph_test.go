package topology

import (
	"os"
	"strings"
	"testing"
)

func TestGraph(t *testing.T) {
	data, err := os.ReadFile("testdata/l3-vxlan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := Parse("testdata/l3-vxlan.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	dot := topo.DOT()
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
	mm := topo.Mermaid()
	for _, want := range []string{"flowchart TB", `host1_br1 -.-|VXLAN 5000| host2_br1`, `subgraph host2["host2 172.16.20.100/24"]`} {
		if !strings.Contains(mm, want) {
			t.Errorf("Mermaid lacks %q:\n%s", want, mm)
		}
	}
}

func TestWarnings(t *testing.T) {
	for _, tc := range []struct {
		mtu  int
		warn bool
	}{{1554, false}, {9000, false}, {1500, true}, {1553, true}} {
		topo := &Topology{Source: "lab.yaml", Underlay: Underlay{MTU: tc.mtu}}
		w := topo.Warnings()
		if (len(w) > 0) != tc.warn {
			t.Errorf("mtu %d: warnings %q, want warning=%v", tc.mtu, w, tc.warn)
		}
		if tc.warn && !strings.Contains(w[0], "below 1554") {
			t.Errorf("mtu %d: warning %q does not say what is needed", tc.mtu, w[0])
		}
	}
}
