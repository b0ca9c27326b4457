package draw

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSVGReadable draws every catalog lab and the 4×50 lab, plain and
// with a synthetic check of each kind of fault, and reads each picture
// back: no text outside the canvas, over another text, over a line or
// across a node's edge, no line through a node, no two networks'
// tunnels crossing; the 4×50 lab within a bounded size.
func TestSVGReadable(t *testing.T) {
	for _, l := range testLabs(t) {
		for _, sc := range append([]string{"plain"}, scenarios...) {
			t.Run(l.name+"/"+sc, func(t *testing.T) {
				topo, o := l.topo, (*Overlay)(nil)
				if sc != "plain" {
					topo, o, _ = synthCheck(t, l.topo, sc)
				}
				svg := SVG(topo, o)
				p := parseSVG(t, svg)
				for _, pr := range p.problems() {
					t.Error(pr)
				}
				if l.name == "scale-4x50" && (p.canvas.w > 1800 || p.canvas.h > 900) {
					t.Errorf("the 4×50 lab is drawn %vx%v, want at most 1800x900", p.canvas.w, p.canvas.h)
				}
				if t.Failed() {
					f := filepath.Join(t.TempDir(), "picture.svg")
					_ = os.WriteFile(f, []byte(svg), 0o644)
					t.Logf("the picture: %s", f)
				}
			})
		}
	}
}
