package draw_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/draw"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// realCheck lays a real check of a catalog lab (testdata/LAB.check.json,
// the -o json of "ovslab check" of a copy of the lab on this machine)
// over the picture as "ovslab graph LAB --check" does: through
// check.Overlay, from a lab state and last check in a temporary run dir.
func realCheck(t *testing.T, lab string) (*topology.Topology, *draw.Overlay) {
	t.Helper()
	root := labs.RunRoot
	labs.RunRoot = t.TempDir()
	t.Cleanup(func() { labs.RunRoot = root })
	data, _ := catalog.Get(lab)
	topo, err := topology.Parse(lab+".yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	st := &labs.State{Lab: lab, Mode: labs.ModeEmulated, Source: "builtin:" + lab, Topology: string(data), Hosts: topo.HostNames(), Complete: true}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("testdata", lab+".check.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep check.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	last, _ := json.Marshal(check.Last{At: time.Date(2026, 12, 6, 15, 26, 50, 0, time.UTC), Report: &rep})
	dir, err := labs.Dir(lab)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "check.json"), last, 0o644); err != nil {
		t.Fatal(err)
	}
	src, o, err := check.Overlay(lab)
	if err != nil {
		t.Fatal(err)
	}
	return src.Topo, o
}

// group is the line of svg that draws the part key.
func group(svg, key string) string {
	return regexp.MustCompile(`(?m)^<g data-key="` + regexp.QuoteMeta(key) + `">.*$`).FindString(svg)
}

// TestCheckedMTUBroken: a real check of mtu-broken (its 1500-byte
// underlay drops every full-size VXLAN frame, small packets pass) marks
// the underlay links of both hosts, with their MTU and what VXLAN needs,
// and no container link, gateway or tunnel.
func TestCheckedMTUBroken(t *testing.T) {
	topo, o := realCheck(t, "mtu-broken")
	svg := draw.SVG(topo, o)
	const red = `"#c51b0a"`
	for _, h := range []string{"host1", "host2"} {
		g := group(svg, draw.UplinkKey(h))
		if !strings.Contains(g, red) || !strings.Contains(g, ">MTU 1500, VXLAN needs 1550: 3 FAILED<") {
			t.Errorf("%s's underlay link is not marked as the cause, with its MTU: %s", h, g)
		}
	}
	for _, line := range strings.Split(svg, "\n") {
		if strings.Contains(line, red) && !strings.Contains(line, `data-key="uplink/`) && !strings.Contains(line, ">the cause of a failure<") {
			t.Errorf("red where the cause is not: %s", line)
		}
	}
	if !strings.Contains(svg, ">lab mtu-broken, check of 2026-12-06 15:26:50 UTC: 22 of 25 passed<") {
		t.Error("the caption does not give the check's time and score")
	}
}

// TestCheckedGreen: after a real check where everything passed (l3-vxlan,
// mesh3 and its tunnels over a host), nothing is red and every link,
// tunnel and underlay link is green: each of them was crossed.
func TestCheckedGreen(t *testing.T) {
	for _, lab := range []string{"l3-vxlan", "mesh3"} {
		topo, o := realCheck(t, lab)
		svg := draw.SVG(topo, o)
		for _, line := range strings.Split(svg, "\n") {
			if strings.HasPrefix(line, `<g data-key="`) && !strings.HasPrefix(line, `<g data-key="host/`) && !strings.Contains(line, `stroke="#1b7837"`) {
				t.Errorf("%s: a part is not green: %s", lab, line)
			}
		}
		// As "ovslab graph --check" of a copy after a green check is
		// tested (cmd/ovslab): no red or orange anywhere.
		if strings.Contains(svg, `"#c51b0a"`) || strings.Contains(svg, `"#e08214"`) {
			t.Errorf("%s: red or orange after a green check", lab)
		}
	}
}
