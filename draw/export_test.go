package draw

import (
	"testing"

	"github.com/ovslab/ovslab/topology"
)

// What the external tests (browser_test.go, check_test.go) use of the
// internal ones.

// Box is a text's box: x, y, width, height.
type Box = [4]float64

// TestLab is a lab the tests draw.
type TestLab struct {
	Name string
	Topo *topology.Topology
}

// AllLabs are every catalog lab, the 4×50 lab and the odd shapes.
func AllLabs(t *testing.T) []TestLab {
	var out []TestLab
	for _, l := range testLabs(t) {
		out = append(out, TestLab{l.name, l.topo})
	}
	return out
}

// SynthCheck is a synthetic check of topo with the faults of scenario.
func SynthCheck(t *testing.T, topo *topology.Topology, scenario string) (*topology.Topology, *Overlay) {
	topo, o, _ := synthCheck(t, topo, scenario)
	return topo, o
}

// TextBoxes are the boxes of svg's texts, in document order, as
// estimated from font size and characters.
func TextBoxes(t *testing.T, svg string) []Box {
	var out []Box
	for _, g := range parseSVG(t, svg).groups {
		for _, tx := range g.texts {
			out = append(out, Box{tx.box.x, tx.box.y, tx.box.w, tx.box.h})
		}
	}
	return out
}

// Problems reads svg back as TestSVGReadable does, with the text boxes
// measured (in document order) in place of the estimated ones.
func Problems(t *testing.T, svg string, measured []Box) []string {
	p := parseSVG(t, svg)
	i := 0
	for _, g := range p.groups {
		for j := range g.texts {
			if i >= len(measured) {
				t.Fatalf("%d boxes measured, the SVG has more texts", len(measured))
			}
			m := measured[i]
			g.texts[j].box = rect{m[0], m[1], m[2], m[3]}
			i++
		}
	}
	if i != len(measured) {
		t.Fatalf("%d boxes measured, the SVG has %d texts", len(measured), i)
	}
	return p.problems()
}
