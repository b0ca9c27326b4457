package draw

// The elements of the picture, added in the order they are drawn: the
// frames under everything, nodes over the lines that end on them.

func (g *geo) paintFrames() {
	for _, hb := range g.hosts {
		e := g.d.add(&element{key: HostKey(hb.name), tip: hb.v.tooltip()})
		stroke := "#444"
		if hb.v != nil {
			stroke = hb.v.colour()
		}
		e.shapes = append(e.shapes, shape{kind: shapeRect, r: rect{hb.x, g.y0, hb.w, g.frameH}, fill: "#f7f7f7", stroke: stroke, width: 1.5, hollow: true})
		e.texts = append(e.texts, text{s: hb.title, x: hb.x + 10, y: g.y0 + 19, size: fsNode, bold: true, anchor: "start", fill: "#111"})
		if hb.status != "" {
			e.texts = append(e.texts, text{s: hb.status, x: hb.x + 10, y: g.y0 + 19 + lineStep, size: fsLink, anchor: "start", fill: colourFailed})
		}
	}
}

// paintTunnels draws each tunnel straight between its bridges, labelled
// in the gutter right of its first host, or on its track (labelled once
// everything else is drawn: see labelTracks).
func (g *geo) paintTunnels() {
	for _, r := range g.routes {
		a, z := g.bus(g.hosts[r.a], r.band), g.bus(g.hosts[r.b], r.band)
		e := g.d.add(&element{key: r.keys[0], tip: r.v.tooltip()})
		col := r.v.colour()
		if r.track < 0 {
			e.shapes = append(e.shapes, line(col, true, lineWidth(r.v), pt{a.right(), a.cy()}, pt{z.x, z.cy()}))
			lines := linkLines(r.sEdge)
			mid := g.hosts[r.a].x + g.hosts[r.a].w + g.gutters[r.a]/2
			e.texts = append(e.texts, label(lines[0], mid, a.cy()-5, "middle", col))
			for i, l := range lines[1:] {
				e.texts = append(e.texts, label(l, mid, a.cy()+15+float64(i)*lineStep, "middle", col))
			}
			continue
		}
		r.trackY = a.y - 14 - float64(r.track)*trackGap
		xa := a.right() - 12 - dropStep*float64(r.dropA)
		xz := z.x + 12 + dropStep*float64(r.dropB)
		e.shapes = append(e.shapes, line(col, true, lineWidth(r.v), pt{xa, a.y}, pt{xa, r.trackY}, pt{xz, r.trackY}, pt{xz, z.y}))
	}
}

// paintUplinks draws the router's links: down from the router, across at
// a level of their own, down to the middle of the host's top; labelled
// beside that last drop, on the side away from the router unless that
// side is taken.
func (g *geo) paintUplinks() {
	rank := map[*hostBox]int{}
	side := map[*hostBox]float64{}
	for i, hb := range g.left {
		rank[hb], side[hb] = i, -1
	}
	for i, hb := range g.right {
		rank[hb], side[hb] = i, 1
	}
	rx := g.router.cx()
	for _, hb := range g.hosts {
		cx := hb.cx()
		e := g.d.add(&element{key: UplinkKey(hb.name), tip: hb.uplink.v.tooltip()})
		col := hb.uplink.v.colour()
		sd, ok := side[hb]
		var pts []pt
		switch {
		case ok:
			ex := rx + sd*(10+dropStep*float64(rank[hb]))
			ly := g.level(rank[hb])
			pts = []pt{{ex, g.router.bottom()}, {ex, ly}, {cx, ly}, {cx, g.y0}}
		case cx > g.router.x+6 && cx < g.router.right()-6:
			pts, sd = []pt{{cx, g.router.bottom()}, {cx, g.y0}}, 1
		default:
			pts, sd = []pt{{rx, g.router.bottom()}, {rx, g.level(0)}, {cx, g.level(0)}, {cx, g.y0}}, 1
		}
		e.shapes = append(e.shapes, line(col, false, lineWidth(hb.uplink.v), pts...))
		lines := uplinkLines(hb.sHost)
		for _, sgn := range []float64{sd, -sd, sd} {
			e.texts = g.uplinkTexts(lines, cx, sgn, col)
			if g.fits(e) {
				break
			}
		}
	}
}

func (g *geo) uplinkTexts(lines []string, cx, sgn float64, col string) []text {
	anchor := "start"
	if sgn < 0 {
		anchor = "end"
	}
	var out []text
	for i, s := range lines {
		out = append(out, label(s, cx+sgn*6, g.y0-6-float64(len(lines)-1-i)*lineStep, anchor, col))
	}
	return out
}

// paintBridges draws each host's bridges, the links under them, the
// things plugged in, and the lanes that take a link past a bridge to one
// further down, along the host's left side.
func (g *geo) paintBridges() {
	for _, hb := range g.hosts {
		for b, bus := range hb.buses {
			if bus == nil {
				continue
			}
			br := g.bus(hb, b)
			e := g.d.add(&element{})
			e.shapes = append(e.shapes, shape{kind: shapeRect, r: br, fill: "white", stroke: "#222", width: 1.5})
			e.texts = append(e.texts, text{s: bus.label, x: br.cx(), y: br.cy() + 4, size: fsNode, anchor: "middle", fill: "#111"})
		}
		lane := 0 // a host's lanes so far: each runs at an x of its own
		for b, row := range hb.rows {
			bd := g.bands[b]
			inBand := 0 // lanes leaving this row so far: each runs at a height of its own
			for _, ib := range row {
				ir := rect{hb.x + padX + 8 + ib.x, bd.rowY() + (bd.rowH-ib.h)/2, ib.w, ib.h}
				lx := ir.x + ib.off
				below := bd.rowY() + bd.rowH + 16
				if ib.up != nil {
					g.link(ib.up.sEdge, []pt{{lx, bd.busY() + nodeH}, {lx, ir.y}}, lx+5, bd.busY()+nodeH+16)
				}
				y := below
				for _, l := range ib.down {
					g.link(l.sEdge, []pt{{lx, ir.bottom()}, {lx, g.bands[l.band].busY()}}, lx+5, y)
					y += float64(len(linkLines(l.sEdge))) * lineStep
				}
				y = below
				for k, l := range ib.lanes {
					ex := ir.x + ib.laneX(k)
					ly := bd.rowY() + bd.rowH + bd.downGap - 6*float64(bd.lanes-inBand) + 3
					lx0 := hb.x + 4 + 4*float64(lane%3)
					ty := g.bands[l.band].busY() - 5 - 4*float64(lane%3)
					tx := hb.x + padX + 4 + 5*float64(lane%3)
					g.link(l.sEdge, []pt{{ex, ir.bottom()}, {ex, ly}, {lx0, ly}, {lx0, ty}, {tx, ty}, {tx, ty + 5 + 4*float64(lane%3)}}, ir.x+ib.laneX(0)+5, y)
					y += float64(len(linkLines(l.sEdge))) * lineStep
					lane++
					inBand++
				}
				e := g.d.add(&element{})
				sh := shape{kind: shapeRect, r: ir, fill: "white", stroke: "#222", width: 1}
				if ib.it.ellipse {
					sh.kind = shapeEllipse
				}
				e.shapes = append(e.shapes, sh)
				for i, l := range ib.it.lines {
					e.texts = append(e.texts, text{s: l, x: ir.cx(), y: ir.y + 17 + float64(i)*lineStep, size: fsNode, anchor: "middle", fill: "#111"})
				}
			}
		}
	}
}

// link adds a link labelled from (x, y) down.
func (g *geo) link(l sEdge, pts []pt, x, y float64) {
	e := g.d.add(&element{key: l.keys[0], tip: l.v.tooltip()})
	col := l.v.colour()
	e.shapes = append(e.shapes, line(col, false, lineWidth(l.v), pts...))
	for i, s := range linkLines(l) {
		e.texts = append(e.texts, label(s, x, y+float64(i)*lineStep, "start", col))
	}
}

// labelTracks labels the tunnels on a track: over the middle host they
// pass, else wherever along the track nothing is in the way.
func (g *geo) labelTracks() {
	for _, r := range g.routes {
		if r.track < 0 {
			continue
		}
		e := g.d.find(r.keys[0])
		s, col := trackLabel(r.sTunnel), r.v.colour()
		cands := []float64{g.hosts[r.labelM].cx()}
		for m := r.a; m < r.b; m++ {
			cands = append(cands, g.hosts[m].x+g.hosts[m].w+g.gutters[m]/2, g.hosts[m+1].cx())
		}
		cands = append(cands, cands[0])
		n := len(e.texts)
		for _, cx := range cands {
			e.texts = append(e.texts[:n], label(s, cx, r.trackY-5, "middle", col))
			if g.fits(e) {
				break
			}
		}
	}
}

// paintRouter draws the router, and the emulated internet beside it.
func (g *geo) paintRouter() {
	e := g.d.add(&element{})
	e.shapes = append(e.shapes, shape{kind: shapeEllipse, r: g.router, fill: "white", stroke: "#222", width: 1.5})
	e.texts = append(e.texts, text{s: "router", x: g.router.cx(), y: g.router.cy() + 4, size: fsNode, anchor: "middle", fill: "#111"})
	if g.s.wan == "" {
		return
	}
	wan := rect{g.router.right() + 48, g.router.y, textWidth(g.s.wan, fsNode, false) + 16, nodeH}
	e = g.d.add(&element{tip: "the emulated internet, reached through NAT"})
	e.shapes = append(e.shapes, line(colourPlain, false, 1.5, pt{g.router.right(), g.router.cy()}, pt{wan.x, wan.cy()}))
	e.shapes = append(e.shapes, shape{kind: shapeRect, r: wan, fill: "white", stroke: "#222", width: 1})
	e.texts = append(e.texts, text{s: g.s.wan, x: wan.cx(), y: wan.cy() + 4, size: fsNode, anchor: "middle", fill: "#111"})
}

// paintCaption puts the caption above it all and, after a check, the
// legend of the colours below.
func (g *geo) paintCaption() {
	bb := g.d.bounds()
	e := g.d.add(&element{})
	e.texts = append(e.texts, text{s: g.s.caption, x: bb.cx(), y: g.router.y - 14, size: fsCaption, bold: true, anchor: "middle", fill: "#111"})
	if !g.s.checked {
		return
	}
	// The legend names the colours the picture uses, no other (a green
	// check's picture holds no red).
	used := map[string]bool{}
	for _, e := range g.d.elems {
		for _, sh := range e.shapes {
			used[sh.stroke] = true
		}
	}
	x, y := bb.x, g.y0+g.frameH+26
	for _, it := range []struct{ colour, s string }{
		{colourOK, "every check across it passed"},
		{colourFailed, "the cause of a failure"},
		{colourUnknown, "no check tells"},
	} {
		if !used[it.colour] {
			continue
		}
		e := g.d.add(&element{})
		e.shapes = append(e.shapes, line(it.colour, false, 3, pt{x, y - 4}, pt{x + 22, y - 4}))
		e.texts = append(e.texts, label(it.s, x+28, y, "start", "#111"))
		x += 28 + textWidth(it.s, fsLink, false) + 22
	}
}

// fits reports whether e's texts touch nothing drawn so far.
func (g *geo) fits(e *element) bool {
	for _, t := range e.texts {
		if !g.d.free(t.box(), e) {
			return false
		}
	}
	return true
}

func line(colour string, dash bool, width float64, pts ...pt) shape {
	return shape{kind: shapeLine, pts: pts, stroke: colour, width: width, dash: dash}
}

func label(s string, x, y float64, anchor, colour string) text {
	return text{s: s, x: x, y: y, size: fsLink, anchor: anchor, fill: colour}
}

// lineWidth draws a cause's line thicker.
func lineWidth(v *verdict) float64 {
	if v != nil && len(v.blamed) > 0 {
		return 3.5
	}
	return 2
}
