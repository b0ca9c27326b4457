package draw

import (
	"fmt"
	"html"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// The SVG picture is laid out here rather than by Graphviz: the lab's
// shape is always the same (a router above a row of hosts, each a column
// of its underlay, bridges, gateways and containers), so a fixed layout
// draws it well, and ovslab needs neither the dot program nor an embedded
// Graphviz that would cost every command its start-up time.
const (
	svgMargin  = 20
	svgCharW   = 7 // average glyph width of 12px Helvetica
	svgNodeH   = 26
	svgRowGap  = 18
	svgColGap  = 40
	svgTop     = 110 // where host boxes start, below caption and router
	svgPadding = 14
	svgGutter  = 56 // left of each column, where links inside a host bow out
)

type svgBox struct{ x, y, w, h int }

func (b svgBox) cx() int { return b.x + b.w/2 }
func (b svgBox) cy() int { return b.y + b.h/2 }

// SVG returns the lab as an SVG picture, its links, tunnels and hosts
// coloured by o (nil draws the plain picture).
func SVG(t *topology.Topology, o *Overlay) string {
	hosts, edges := picture(t)
	boxes := map[string]svgBox{}
	var frames []svgBox
	x, bottom := svgMargin, 0
	for _, h := range hosts {
		w := textW(h.label)
		for _, n := range h.nodes {
			w = max(w, textW(n.label))
		}
		w += 2*svgPadding + svgGutter
		y := svgTop + svgNodeH + 6
		for _, n := range h.nodes {
			nw := textW(n.label)
			boxes[n.id] = svgBox{x + svgGutter + (w-svgGutter-nw)/2, y, nw, svgNodeH}
			y += svgNodeH + svgRowGap
		}
		frames = append(frames, svgBox{x, svgTop, w, y - svgTop})
		bottom = max(bottom, y)
		x += w + svgColGap
	}
	width := max(x-svgColGap+svgMargin, 240)
	// Tunnels between hosts that are not neighbours run below the hosts,
	// each on its own level, instead of through the hosts in between.
	below := bottom + svgRowGap
	for _, e := range edges {
		if strings.HasPrefix(e.label, "VXLAN") && spansColumns(boxes[e.a], boxes[e.b], frames) {
			bottom += 30
		}
	}
	router := svgBox{width/2 - 40, 50, 80, svgNodeH}
	boxes["router"] = router

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n",
		width, bottom+svgMargin, width, bottom+svgMargin)
	fmt.Fprintf(&b, "<title>%s</title>\n", esc("lab "+t.Name))
	b.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	caption := "lab " + t.Name
	if o != nil && o.Caption != "" {
		caption = o.Caption
	}
	fmt.Fprintf(&b, `<text x="%d" y="24" text-anchor="middle" font-size="14">%s</text>`+"\n", width/2, esc(caption))
	for i, h := range hosts {
		f := frames[i]
		stroke, title := "#444", ""
		if hh, ok := o.health(HostKey(h.name)); ok {
			stroke, title = hh.colour(), hh.summary()
		}
		fmt.Fprintf(&b, `<g><rect x="%d" y="%d" width="%d" height="%d" rx="6" fill="#f7f7f7" stroke="%s"/>`, f.x, f.y, f.w, f.h, stroke)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">%s</text>%s</g>`+"\n", f.x+10, f.y+18, esc(h.label), svgTitle(title))
	}
	for _, e := range edges {
		a, z := boxes[e.a], boxes[e.b]
		colour, label, title := "#555", e.label, ""
		if o != nil {
			hh, ok := o.health(e.key)
			colour, label, title = hh.colour(), label+hh.suffix(ok), hh.summary()
		}
		tunnel := strings.HasPrefix(e.label, "VXLAN")
		var path string
		var lx, ly int
		if tunnel && spansColumns(a, z, frames) {
			below += 22
			path, lx, ly = svgBelow(a, z, below)
		} else {
			path, lx, ly = svgPath(a, z, e.b == "router", tunnel)
		}
		dash := ""
		if strings.HasPrefix(e.label, "VXLAN") {
			dash = ` stroke-dasharray="6,4"`
		}
		fmt.Fprintf(&b, `<g><path d="%s" fill="none" stroke="%s" stroke-width="2"%s/>`, path, colour, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle" fill="%s" font-size="11">%s</text>%s</g>`+"\n", lx, ly, colour, esc(label), svgTitle(title))
	}
	drawNode := func(id, label, shape string) {
		n := boxes[id]
		switch shape {
		case "ellipse", "diamond":
			fmt.Fprintf(&b, `<ellipse cx="%d" cy="%d" rx="%d" ry="%d" fill="white" stroke="#222"/>`, n.cx(), n.cy(), n.w/2, n.h/2)
		case "plaintext":
		default:
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="white" stroke="#222"/>`, n.x, n.y, n.w, n.h)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", n.cx(), n.cy()+4, esc(label))
	}
	drawNode("router", "router", "diamond")
	for _, h := range hosts {
		for _, n := range h.nodes {
			drawNode(n.id, n.label, n.shape)
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// svgPath draws an edge and says where its label goes. Links inside a
// host bow out to the left of the column so they do not run through the
// boxes stacked between their ends; tunnels arch above the hosts.
func svgPath(a, z svgBox, toRouter, tunnel bool) (string, int, int) {
	switch {
	case toRouter:
		return fmt.Sprintf("M %d %d L %d %d", a.cx(), a.y, z.cx(), z.y+z.h), (a.cx() + z.cx()) / 2, (a.y+z.y+z.h)/2 - 4
	case tunnel:
		if z.x < a.x {
			a, z = z, a
		}
		x0, x1 := a.x+a.w, z.x
		mid := (x0 + x1) / 2
		return fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", x0, a.cy(), mid, a.cy(), mid, z.cy(), x1, z.cy()), mid, (a.cy()+z.cy())/2 - 6
	default:
		lx := min(a.x, z.x) - 10 - abs(a.cy()-z.cy())/8
		return fmt.Sprintf("M %d %d C %d %d, %d %d, %d %d", a.x, a.cy(), lx, a.cy(), lx, z.cy(), z.x, z.cy()), lx + 4, (a.cy()+z.cy())/2 - 4
	}
}

// spansColumns reports whether a host column lies between a and z.
func spansColumns(a, z svgBox, frames []svgBox) bool {
	lo, hi := min(a.x, z.x), max(a.x, z.x)
	for _, f := range frames {
		if f.x > lo && f.x+f.w < hi {
			return true
		}
	}
	return false
}

// svgBelow draws a tunnel down from both bridges to level y under the hosts.
func svgBelow(a, z svgBox, y int) (string, int, int) {
	return fmt.Sprintf("M %d %d L %d %d L %d %d L %d %d", a.cx(), a.y+a.h, a.cx(), y, z.cx(), y, z.cx(), z.y+z.h), (a.cx() + z.cx()) / 2, y - 4
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func textW(s string) int { return len(s)*svgCharW + 16 }

func esc(s string) string { return html.EscapeString(s) }

// svgTitle is a tooltip: SVG viewers show an element's <title> on hover.
func svgTitle(s string) string {
	if s == "" {
		return ""
	}
	return "<title>" + esc(s) + "</title>"
}
