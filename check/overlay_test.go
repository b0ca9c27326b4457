package check

import (
	"errors"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/draw"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// TestCheckOverlay lays a check with one failure over a copy of the
// reference lab and looks where each result was counted.
func TestCheckOverlay(t *testing.T) {
	labs.RunRoot = t.TempDir()
	t.Cleanup(func() { labs.RunRoot = "/run/ovslab" })
	data, _ := catalog.Get("l3-vxlan")
	st := &labs.State{Lab: "stu-1", Mode: labs.ModeEmulated, Source: "builtin:l3-vxlan", Topology: string(data), Hosts: []string{"host1", "host2"}, Complete: true}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Overlay("stu-1"); !errors.Is(err, ErrNoCheck) || !strings.Contains(err.Error(), "ovslab check stu-1") {
		t.Fatalf("overlay before any check: %v, want ErrNoCheck telling to run ovslab check stu-1", err)
	}
	rep := &Report{Lab: "stu-1", Results: []Result{
		{Kind: KindHost, From: "host1", To: "unix:/x", OK: true},
		{Kind: KindTunnel, From: "host1/br1", To: "172.16.20.100 key 5000", OK: true},
		{Kind: KindPing, From: "doc1", To: "doc3 (10.0.1.20)", OK: true},
		{Kind: KindPMTU, From: "doc1", To: "doc3 (10.0.1.20)", OK: false, Detail: "no reply to 1500-byte DF packets"},
		{Kind: KindGateway, From: "doc3", To: "host1 (10.0.1.1)", OK: true},
		{Kind: KindNAT, From: "doc2", To: "wan (198.51.100.1)", OK: true},
		// Written by hand, as an expectation names its target.
		{Kind: "expect", From: "doc4", To: "doc2.net2", OK: true},
		{Kind: "expect", From: "doc4", To: "10.0.2.1", OK: true},
	}}
	if err := saveLast(rep); err != nil {
		t.Fatal(err)
	}
	src, o, err := Overlay("stu-1")
	if err != nil {
		t.Fatal(err)
	}
	if src.Topo.Name != "stu-1" || src.Topo.DockerName("doc1") != "stu-1-doc1" {
		t.Errorf("the copy's topology: name %q, doc1's Docker name %q; want stu-1 and stu-1-doc1", src.Topo.Name, src.Topo.DockerName("doc1"))
	}
	for key, want := range map[string][2]int{ // passed, failed
		draw.TunnelKey("net1", "host2", "host1"): {3, 1}, // tunnel port, ping, gateway from host2; the DF probe failed
		draw.LinkKey("doc1", "eth0"):             {1, 1},
		draw.LinkKey("doc3", "eth0"):             {2, 1},
		draw.GatewayKey("net1"):                  {1, 0},
		draw.LinkKey("doc2", "eth0"):             {2, 0},
		draw.GatewayKey("net2"):                  {2, 0},
		draw.UplinkKey("host1"):                  {1, 0},
		draw.HostKey("host1"):                    {1, 0},
		draw.TunnelKey("net2", "host1", "host2"): {2, 0}, // doc4's two expectations
		draw.LinkKey("doc4", "eth0"):             {2, 0},
	} {
		h := o.Health[key]
		if h.Passed != want[0] || h.Failed != want[1] {
			t.Errorf("%s: %d passed, %d failed; want %d and %d", key, h.Passed, h.Failed, want[0], want[1])
		}
	}
	if !strings.Contains(o.Caption, "7 of 8 passed") {
		t.Errorf("caption %q does not give the score 7 of 8", o.Caption)
	}
	dot := draw.DOT(src.Topo, o)
	for _, want := range []string{
		`host1_br1 -- host2_br1 [label="VXLAN 5000 (1 of 4 FAILED)", style=dashed, color="#e08214"`,
		`host1_br2 -- host2_br2 [label="VXLAN 6000", style=dashed, color="#1b7837"`,
		`host2_underlay -- router [label="via 172.16.20.1 (not checked)", color="#9e9e9e"`,
		`c_doc2 -- host1_br2 [label="eth0", color="#1b7837"`,
		"pmtu doc1 -> doc3 (10.0.1.20): no reply to 1500-byte DF packets",
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("DOT lacks %q:\n%s", want, dot)
		}
	}
}

// TestHostPortPath: a ping from a container to a host's own port on the
// network crosses the container's link, the tunnel and that host port,
// not the gateway and the uplink.
func TestHostPortPath(t *testing.T) {
	data, _ := catalog.Get("host-overlay")
	topo, err := topology.Parse("host-overlay.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	got := newPathFinder(topo).keys(Result{Kind: KindPing, From: "c1", To: "host3 (10.0.1.3)"})
	want := []string{draw.LinkKey("c1", "eth0"), draw.HostPortKey("net1", "host3"), draw.TunnelKey("net1", "host1", "host3")}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("path of c1 -> host3's port: %v, want %v", got, want)
	}
	// The picture draws the host ports, and a tagged link's VLAN.
	dot := draw.DOT(topo, nil)
	for _, s := range []string{`label="host port 10.0.1.3"`, `host3_br1_hp -- host3_br1`} {
		if !strings.Contains(dot, s) {
			t.Errorf("DOT lacks %q:\n%s", s, dot)
		}
	}
	data, _ = catalog.Get("vlan-tenants")
	vt, err := topology.Parse("vlan-tenants.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	svg := draw.SVG(vt, nil)
	if n10, n20 := strings.Count(svg, ">eth0 VLAN 10<"), strings.Count(svg, ">eth0 VLAN 20<"); n10 != 2 || n20 != 2 {
		t.Errorf("SVG labels %d links VLAN 10 and %d VLAN 20, want 2 each (red's and blue's, not spy's):\n%s", n10, n20, svg)
	}
}
