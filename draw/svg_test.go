package draw

import (
	"encoding/xml"
	"regexp"
	"strings"
	"testing"
)

// TestSVG draws the reference lab: well-formed SVG with every bridge,
// tunnel key, container and host port, and an overlay's failure shown in
// red with its count, so a picture printed in grey still tells.
func TestSVG(t *testing.T) {
	topo := referenceLab(t)
	plain := SVG(topo, nil)
	if err := xml.Unmarshal([]byte(plain), new(struct{})); err != nil {
		t.Fatalf("SVG is not XML: %v", err)
	}
	for _, want := range []string{"br1: net1", "br2: net2", ">VXLAN 5000<", ">VXLAN 6000<", ">doc1 10.0.1.10<", ">doc4 ", ">router<",
		">host2 172.16.20.100/24<", ">via 172.16.10.1<", ">MTU 1554<", ">WAN 198.51.100.1<", `data-key="link/doc2/eth0"`} {
		if !strings.Contains(plain, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if strings.Contains(plain, colourFailed) || strings.Contains(plain, colourOK) {
		t.Error("a picture without a check is coloured as checked")
	}
	o := &Overlay{Caption: "check of now", Health: map[string]Health{}}
	h := o.Health[TunnelKey("net1", "host2", "host1")]
	h.Add(false, "doc1 -> doc3: no reply")
	o.Health[TunnelKey("net1", "host1", "host2")] = h
	checked := SVG(topo, o)
	for _, want := range []string{colourFailed, colourUnknown, ">VXLAN 5000<", ">1 FAILED<", "FAILED doc1 -&gt; doc3: no reply", ">check of now<", ">the cause of a failure<"} {
		if !strings.Contains(checked, want) {
			t.Errorf("checked SVG lacks %q", want)
		}
	}
}

// TestSVGSelfContained: the picture goes inside pages with a strict
// Content-Security-Policy, many on one page: nothing it would block or
// that would clash (script, event handlers, style, external references,
// ids) in any lab, plain or checked.
func TestSVGSelfContained(t *testing.T) {
	forbidden := regexp.MustCompile(`(?i)<script|<style|<foreignObject|<image|<use|<a[ >]|\son[a-z]+=|\sstyle=|\sid=|href|url\(|@import|javascript:`)
	for _, l := range testLabs(t) {
		for _, sc := range []string{"plain", "all"} {
			topo, o := l.topo, (*Overlay)(nil)
			if sc != "plain" {
				topo, o, _ = synthCheck(t, l.topo, sc)
			}
			svg := SVG(topo, o)
			if m := forbidden.FindString(svg); m != "" {
				t.Errorf("%s %s: the SVG holds %q", l.name, sc, m)
			}
			if !strings.HasPrefix(svg, `<svg xmlns="http://www.w3.org/2000/svg" `) {
				t.Errorf("%s %s: the SVG starts %.60q", l.name, sc, svg)
			}
		}
	}
}
