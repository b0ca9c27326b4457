package draw

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// The SVG picture is laid out here rather than by Graphviz: the lab's
// shape is always the same (a router above a row of hosts, each network
// a band across them), so a fixed layout draws it well, and ovslab needs
// neither the dot program nor an embedded Graphviz that would cost every
// command its start-up time.
//
// The SVG stands alone and is safe to put inside a page that allows no
// inline script or style: no script, no event attribute, no style
// attribute or element, no external reference, no id (a page may hold
// many pictures). Each part of the lab is a <g> whose data-key is its key
// (LinkKey, TunnelKey, ...), with a <title> a browser shows on hover.

// SVG returns the lab as an SVG picture, its links, tunnels and hosts
// coloured by o (nil draws the plain picture): where a check's failure
// has its cause (see blame) in red, with the count and the reason.
func SVG(t *topology.Topology, o *Overlay) string {
	d := place(newScene(t, o))
	bb := d.bounds().grow(margin)
	x0, y0 := math.Floor(bb.x), math.Floor(bb.y)
	w, h := math.Ceil(bb.right())-x0, math.Ceil(bb.bottom())-y0
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%s" viewBox="%s %s %s %s" font-family="%s" font-size="%s">`+"\n",
		num(w), num(h), num(x0), num(y0), num(w), num(h), fontFamily, num(fsNode))
	fmt.Fprintf(&b, "<title>%s</title>\n", esc("lab "+t.Name))
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="white"/>`+"\n", num(x0), num(y0), num(w), num(h))
	for _, e := range d.elems {
		writeElem(&b, e)
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func writeElem(b *strings.Builder, e *element) {
	b.WriteString("<g")
	if e.key != "" {
		fmt.Fprintf(b, ` data-key="%s"`, esc(e.key))
	}
	b.WriteString(">")
	for _, s := range e.shapes {
		switch s.kind {
		case shapeLine:
			var d []string
			for i, p := range s.pts {
				cmd := "L"
				if i == 0 {
					cmd = "M"
				}
				d = append(d, cmd+num(p.x)+" "+num(p.y))
			}
			fmt.Fprintf(b, `<path d="%s" fill="none" stroke="%s" stroke-width="%s"`, strings.Join(d, " "), s.stroke, num(s.width))
			if s.dash {
				b.WriteString(` stroke-dasharray="7,4"`)
			}
			b.WriteString("/>")
		case shapeRect:
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" rx="4" fill="%s" stroke="%s" stroke-width="%s"/>`,
				num(s.r.x), num(s.r.y), num(s.r.w), num(s.r.h), s.fill, s.stroke, num(s.width))
		case shapeEllipse:
			fmt.Fprintf(b, `<ellipse cx="%s" cy="%s" rx="%s" ry="%s" fill="%s" stroke="%s" stroke-width="%s"/>`,
				num(s.r.cx()), num(s.r.cy()), num(s.r.w/2), num(s.r.h/2), s.fill, s.stroke, num(s.width))
		}
	}
	for _, t := range e.texts {
		fmt.Fprintf(b, `<text x="%s" y="%s"`, num(t.x), num(t.y))
		if t.anchor != "start" {
			fmt.Fprintf(b, ` text-anchor="%s"`, t.anchor)
		}
		if t.size != fsNode {
			fmt.Fprintf(b, ` font-size="%s"`, num(t.size))
		}
		if t.bold {
			b.WriteString(` font-weight="bold"`)
		}
		fmt.Fprintf(b, ` fill="%s">%s</text>`, t.fill, esc(t.s))
	}
	if e.tip != "" {
		b.WriteString("<title>" + esc(e.tip) + "</title>")
	}
	b.WriteString("</g>\n")
}

// num writes a coordinate to a tenth of a pixel.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

func esc(s string) string { return html.EscapeString(s) }
