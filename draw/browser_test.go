package draw_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ovslab/ovslab/draw"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/topology"
)

// measure puts svg alone in the tab's page, as a page inlines it, and
// returns each text's box as Chromium lays it out (getBBox), in
// document order, and the picture's size.
func measure(t *testing.T, ctx context.Context, svg string) ([]draw.Box, [2]int64) {
	t.Helper()
	src, _ := json.Marshal(svg)
	type out struct {
		Boxes []draw.Box
		Size  [2]int64
	}
	r, err := chromedp.Run(ctx, chromedp.Evaluate[out](`(() => {
		document.body.style.margin = '0';
		document.body.innerHTML = `+string(src)+`;
		const svg = document.querySelector('svg');
		return {
			Boxes: Array.from(svg.querySelectorAll('text')).map(t => { const b = t.getBBox(); return [b.x, b.y, b.width, b.height]; }),
			Size: [svg.width.baseVal.value, svg.height.baseVal.value],
		};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	return r.Boxes, r.Size
}

// TestBrowserSVG draws every lab, plain and after a check with every
// kind of fault, and the real checks of testdata, in Chromium, and reads
// each text's box as it is rendered: the layout's estimate holds it, and
// with the rendered boxes no text is cut at the edge, over another text,
// over a line or across a node. Screenshots of l3-vxlan and mtu-broken
// after their real checks are kept ($OVSLAB_SCREENSHOTS; the one of
// l3-vxlan is docs/graph-l3-vxlan.png).
func TestBrowserSVG(t *testing.T) {
	ctx := testenv.Browser(t)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	type picture struct {
		name string
		topo *topology.Topology
		o    *draw.Overlay
	}
	var pics []picture
	for _, l := range draw.AllLabs(t) {
		topo, o := draw.SynthCheck(t, l.Topo, "all")
		pics = append(pics, picture{l.Name, l.Topo, nil}, picture{l.Name + "/all", topo, o})
	}
	for _, lab := range []string{"l3-vxlan", "mesh3", "mtu-broken"} {
		topo, o := realCheck(t, lab)
		pics = append(pics, picture{lab + "/real-check", topo, o})
	}
	for _, p := range pics {
		svg := draw.SVG(p.topo, p.o)
		got, size := measure(t, ctx, svg)
		est := draw.TextBoxes(t, svg)
		if len(got) != len(est) {
			t.Fatalf("%s: %d texts rendered, %d in the SVG", p.name, len(got), len(est))
		}
		for i, m := range got {
			e := est[i]
			if m[0] < e[0]-0.5 || m[0]+m[2] > e[0]+e[2]+0.5 || m[1] < e[1]-0.5 || m[1]+m[3] > e[1]+e[3]+0.5 {
				t.Errorf("%s: text %d is drawn at %v, outside its estimated box %v", p.name, i, m, e)
			}
		}
		for _, pr := range draw.Problems(t, svg, got) {
			t.Errorf("%s, as rendered: %s", p.name, pr)
		}
		if p.name == "l3-vxlan/real-check" || p.name == "mtu-broken/real-check" {
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], size[1])); err != nil {
				t.Fatal(err)
			}
			testenv.Screenshot(t, ctx, strings.TrimSuffix(p.name, "/real-check")+"-check")
		}
	}
}
