package draw

import (
	"encoding/xml"
	"strings"
	"testing"
)

// TestSVG draws the reference lab: well-formed SVG with every bridge,
// tunnel key and container, and an overlay's failure shown in red with
// its score, so a picture printed in grey still tells.
func TestSVG(t *testing.T) {
	topo := referenceLab(t)
	plain := SVG(topo, nil)
	if err := xml.Unmarshal([]byte(plain), new(struct{})); err != nil {
		t.Fatalf("SVG is not XML: %v", err)
	}
	for _, want := range []string{"br1: net1", "br2: net2", "VXLAN 5000", "VXLAN 6000", "doc1 10.0.1.10", "doc4 ", "router", "host2 172.16.20.100/24"} {
		if !strings.Contains(plain, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(plain, colourFailed) {
		t.Error("a picture without a check is coloured as failed")
	}
	o := &Overlay{Caption: "check of now", Health: map[string]Health{}}
	h := o.Health[TunnelKey("net1", "host2", "host1")]
	h.Add(false, "doc1 -> doc3: no reply")
	o.Health[TunnelKey("net1", "host1", "host2")] = h
	checked := SVG(topo, o)
	for _, want := range []string{colourFailed, "VXLAN 5000 (1 of 1 FAILED)", "doc1 -&gt; doc3: no reply", "check of now", "(not checked)"} {
		if !strings.Contains(checked, want) {
			t.Errorf("checked SVG lacks %q", want)
		}
	}
}
