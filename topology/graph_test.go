package topology

import (
	"os"
	"strings"
	"testing"
)

// referenceLab parses the reference lab of testdata.
func referenceLab(t *testing.T) *Topology {
	t.Helper()
	data, err := os.ReadFile("testdata/l3-vxlan.yaml")
	if err != nil {
		t.Fatal(err)
	}
	topo, err := Parse("testdata/l3-vxlan.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

func TestGraph(t *testing.T) {
	topo := referenceLab(t)
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
		want string // a substring of the one warning; "" for none
	}{
		{1554, ""},
		{9000, ""},
		{1280, "underlay.mtu 1280 is below 1550: 1500-byte frames inside VXLAN will be dropped (ping works, TCP stalls); set underlay.mtu: 1554"},
		{1500, "lab.yaml: underlay.mtu 1500 is below 1550"},
		{1549, "is below 1550"},
		{1550, "underlay.mtu 1550 fits untagged 1500-byte frames inside VXLAN (1550 bytes) but leaves no room for an inner VLAN tag (1554); 1554 is the default"},
		{1553, "leaves no room for an inner VLAN tag"},
	} {
		topo := loadRef(t)
		topo.Source, topo.Underlay.MTU = "lab.yaml", tc.mtu
		w := topo.Warnings()
		switch {
		case tc.want == "" && len(w) > 0:
			t.Errorf("mtu %d: warnings %q, want none", tc.mtu, w)
		case tc.want != "" && (len(w) != 1 || !strings.Contains(w[0], tc.want)):
			t.Errorf("mtu %d: warnings %q, want one containing %q", tc.mtu, w, tc.want)
		}
		for _, s := range w {
			if strings.Contains(s, "container MTU") {
				t.Errorf("mtu %d: %q suggests a container MTU, which the file cannot set", tc.mtu, s)
			}
		}
	}
}
