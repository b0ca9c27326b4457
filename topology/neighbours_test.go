package topology

import (
	"net/netip"
	"testing"
)

func TestNeighboursKey(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "neighbours unknown", edit: []string{"name: lab\n", "name: lab\nneighbours: sometimes\n"}, line: 2, field: "neighbours", msg: `"sometimes" is not static or dynamic`},
		{name: "neighbours a boolean", edit: []string{"name: lab\n", "name: lab\nneighbours: true\n"}, line: 2, field: "neighbours", msg: "expected a string"},
	})
}

func TestNeighboursInThePlan(t *testing.T) {
	// doc1 is tagged: it is a segment of its own, apart from doc2 and the gateway.
	top, err := Parse("lab.yaml", []byte(edit(t, "address: 10.0.1.10}", "address: 10.0.1.10, vlan: 7}")))
	if err != nil {
		t.Fatal(err)
	}
	br1 := bridgeOf(t, mustPlan(t, top, "host2"), "br1")
	var got []string
	for _, n := range br1.Peers(netip.MustParseAddr("10.0.1.20"), 0) {
		got = append(got, n.Address.String()+" "+n.MAC.String())
	}
	if len(got) != 1 || got[0] != "10.0.1.1 02:42:0a:00:01:01" {
		t.Errorf("doc2's untagged peers on br1 = %q, want only the gateway at its fixed MAC", got)
	}
	if p := br1.Peers(netip.MustParseAddr("10.0.1.10"), 7); len(p) != 0 {
		t.Errorf("doc1, alone in VLAN 7, has peers %v", p)
	}
	if seg := br1.Segment(7); len(seg) != 1 || seg[0].Address != netip.MustParseAddr("10.0.1.10") {
		t.Errorf("VLAN 7's segment on br1 = %v, want doc1 alone, itself included", seg)
	}
	if seg := br1.Segment(0); len(seg) != 2 {
		t.Errorf("the untagged segment on br1 = %v, want doc2 and the gateway", seg)
	}
	br2 := bridgeOf(t, mustPlan(t, top, "host2"), "br-net2")
	if len(br2.Neighbours) != 1 || br2.Neighbours[0].MAC.String() != "02:00:00:00:00:01" {
		t.Errorf("net2's neighbours = %v, want doc2 with the MAC the file gives it", br2.Neighbours)
	}

	top, err = Parse("lab.yaml", []byte(edit(t, "name: lab\n", "name: lab\nneighbours: dynamic\n")))
	if err != nil {
		t.Fatal(err)
	}
	if br := bridgeOf(t, mustPlan(t, top, "host1"), "br1"); br.Neighbours != nil {
		t.Errorf("neighbours: dynamic still plans %v", br.Neighbours)
	}
}

func bridgeOf(t *testing.T, p *HostPlan, name string) *BridgePlan {
	t.Helper()
	for i := range p.Bridges {
		if p.Bridges[i].Name == name {
			return &p.Bridges[i]
		}
	}
	t.Fatalf("host %s plans no bridge %s", p.Host, name)
	return nil
}
