package draw

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// parsedSVG is an SVG as the geometry tests read it back: the canvas,
// and per <g> its lines, boxes and texts.
type parsedSVG struct {
	canvas rect
	groups []*pGroup
}

type pGroup struct {
	key   string
	lines [][]pt
	boxes []rect // rects and ellipses (by their bounding box)
	texts []pText
}

type pText struct {
	s   string
	box rect
}

func (g *pGroup) frame() bool { return strings.HasPrefix(g.key, "host/") }

func (g *pGroup) name() string {
	if g.key != "" {
		return g.key
	}
	if len(g.texts) > 0 {
		return fmt.Sprintf("%q", g.texts[0].s)
	}
	return "a group"
}

// parseSVG reads back what SVG wrote; text boxes are estimated from each
// text's font size and characters (textBox), as wide as they can be.
func parseSVG(t *testing.T, svg string) *parsedSVG {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	p := &parsedSVG{}
	var g *pGroup
	var cur *xml.StartElement
	attr := func(e xml.StartElement, name string) string {
		for _, a := range e.Attr {
			if a.Name.Local == name {
				return a.Value
			}
		}
		return ""
	}
	f := func(e xml.StartElement, name string) float64 {
		v, err := strconv.ParseFloat(attr(e, name), 64)
		if err != nil {
			t.Fatalf("<%s> %s=%q: %v", e.Name.Local, name, attr(e, name), err)
		}
		return v
	}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch e.Name.Local {
			case "svg":
				vb := strings.Fields(attr(e, "viewBox"))
				if len(vb) != 4 {
					t.Fatalf("viewBox %q", attr(e, "viewBox"))
				}
				var v [4]float64
				for i := range vb {
					v[i], _ = strconv.ParseFloat(vb[i], 64)
				}
				p.canvas = rect{v[0], v[1], v[2], v[3]}
				if w, h := f(e, "width"), f(e, "height"); w != v[2] || h != v[3] {
					t.Errorf("width %v height %v, viewBox %v: the picture would be scaled", w, h, vb)
				}
			case "g":
				g = &pGroup{key: attr(e, "data-key")}
				p.groups = append(p.groups, g)
			case "path":
				g.lines = append(g.lines, parsePath(t, attr(e, "d")))
			case "rect":
				if g != nil {
					g.boxes = append(g.boxes, rect{f(e, "x"), f(e, "y"), f(e, "width"), f(e, "height")})
				}
			case "ellipse":
				rx, ry := f(e, "rx"), f(e, "ry")
				g.boxes = append(g.boxes, rect{f(e, "cx") - rx, f(e, "cy") - ry, 2 * rx, 2 * ry})
			case "text":
				cur = &e
			}
		case xml.CharData:
			if cur != nil {
				size := fsNode
				if s := attr(*cur, "font-size"); s != "" {
					size = f(*cur, "font-size")
				}
				anchor := attr(*cur, "text-anchor")
				if anchor == "" {
					anchor = "start"
				}
				s := string(e)
				g.texts = append(g.texts, pText{s, textBox(s, f(*cur, "x"), f(*cur, "y"), size, attr(*cur, "font-weight") == "bold", anchor)})
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "text":
				cur = nil
			case "g":
				g = nil
			}
		}
	}
	return p
}

// parsePath reads the "M x y L x y ..." paths SVG writes.
func parsePath(t *testing.T, d string) []pt {
	t.Helper()
	f := strings.Fields(d)
	var out []pt
	for i := 0; i < len(f); i += 2 {
		cmd := f[i][:1]
		if cmd != "M" && cmd != "L" || i+1 >= len(f) {
			t.Fatalf("path %q: only M and L are expected", d)
		}
		x, err1 := strconv.ParseFloat(f[i][1:], 64)
		y, err2 := strconv.ParseFloat(f[i+1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("path %q: bad number", d)
		}
		out = append(out, pt{x, y})
	}
	return out
}

// problems lists everything about the picture a student would trip on:
// text outside the canvas, text over text, text over a line or a node's
// edge, a line through a node, tunnels of two networks crossing.
func (p *parsedSVG) problems() []string {
	var out []string
	type placedText struct {
		pText
		g *pGroup
	}
	var texts []placedText
	for _, g := range p.groups {
		for _, tx := range g.texts {
			texts = append(texts, placedText{tx, g})
			if !p.canvas.contains(tx.box) {
				out = append(out, fmt.Sprintf("text %q %v is not inside the canvas %v", tx.s, tx.box, p.canvas))
			}
		}
	}
	for i, a := range texts {
		for _, b := range texts[i+1:] {
			if a.box.overlaps(b.box) {
				out = append(out, fmt.Sprintf("text %q (%s) overlaps text %q (%s)", a.s, a.g.name(), b.s, b.g.name()))
			}
		}
		for _, g := range p.groups {
			for _, l := range g.lines {
				for _, s := range segments(l) {
					if a.box.crosses(s) {
						out = append(out, fmt.Sprintf("text %q (%s) is crossed by a line of %s", a.s, a.g.name(), g.name()))
					}
				}
			}
			for _, b := range g.boxes {
				inside := b.contains(a.box)
				switch {
				case inside && (g == a.g || g.frame()):
				case inside:
					out = append(out, fmt.Sprintf("text %q (%s) lies on %s", a.s, a.g.name(), g.name()))
				case b.overlaps(a.box):
					out = append(out, fmt.Sprintf("text %q (%s) crosses the edge of %s", a.s, a.g.name(), g.name()))
				}
			}
		}
	}
	for _, g := range p.groups {
		for _, l := range g.lines {
			for _, s := range segments(l) {
				for _, h := range p.groups {
					if h == g || h.frame() {
						continue
					}
					for _, b := range h.boxes {
						if b.grow(-0.5).crosses(s) {
							out = append(out, fmt.Sprintf("a line of %s runs through %s", g.name(), h.name()))
						}
					}
				}
			}
		}
	}
	for i, a := range p.groups {
		for _, b := range p.groups[i+1:] {
			na, nb := tunnelNet(a.key), tunnelNet(b.key)
			if na == "" || nb == "" || na == nb {
				continue
			}
			if linesCross(a.lines, b.lines) {
				out = append(out, fmt.Sprintf("tunnels %s and %s cross", a.key, b.key))
			}
		}
	}
	return out
}

func tunnelNet(key string) string {
	f := strings.Split(key, "/")
	if len(f) != 4 || f[0] != "tunnel" {
		return ""
	}
	return f[1]
}

func linesCross(a, b [][]pt) bool {
	for _, la := range a {
		for _, lb := range b {
			for _, sa := range segments(la) {
				for _, sb := range segments(lb) {
					if sa.intersects(sb) {
						return true
					}
				}
			}
		}
	}
	return false
}

// TestProblemsFound: the reader of TestSVGReadable finds each kind of
// problem it is there to find, in pictures made to have one.
func TestProblemsFound(t *testing.T) {
	head := `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="200" viewBox="0 0 300 200">`
	for _, tc := range []struct{ name, body, want string }{
		{"fine", `<g><text x="10" y="20">eth0</text></g><g><path d="M10 40 L200 40"/></g>`, ""},
		{"text over text", `<g><text x="10" y="20">eth0</text></g><g><text x="20" y="24">net2</text></g>`, `text "eth0" (` + `"eth0") overlaps text "net2"`},
		{"text over a line", `<g><text x="10" y="20">eth0</text></g><g data-key="link/a/eth0"><path d="M0 16 L100 16"/></g>`, `is crossed by a line of link/a/eth0`},
		{"text over its own line", `<g data-key="uplink/h"><path d="M20 0 L20 100"/><text x="10" y="20">via</text></g>`, `text "via" (uplink/h) is crossed by a line of uplink/h`},
		{"cut at the edge", `<g><text x="290" y="20">eth0 (2 of 7 FAILED)</text></g>`, "is not inside the canvas"},
		{"text across a box", `<g><rect x="0" y="18" width="100" height="20"/></g><g><text x="10" y="20">host2</text></g>`, "crosses the edge of"},
		{"line through a node", `<g><rect x="50" y="50" width="100" height="20"/><text x="60" y="65">br1</text></g><g data-key="uplink/h"><path d="M0 60 L300 60"/></g>`, "a line of uplink/h runs through"},
		{"tunnels crossing", `<g data-key="tunnel/net1/a/b"><path d="M0 0 L100 100"/></g><g data-key="tunnel/net2/a/b"><path d="M0 100 L100 0"/></g>`, "tunnels tunnel/net1/a/b and tunnel/net2/a/b cross"},
		{"tunnels parallel", `<g data-key="tunnel/net1/a/b"><path d="M0 10 L100 10"/></g><g data-key="tunnel/net2/a/b"><path d="M0 50 L100 50"/></g>`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(parseSVG(t, head+tc.body+"</svg>").problems(), "\n")
			if tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
				t.Errorf("problems:\n%s\nwant %q", got, tc.want)
			}
		})
	}
}
