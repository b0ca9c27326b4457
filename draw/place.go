package draw

// hostBox is a host as laid out: its column and its rows of things.
type hostBox struct {
	*sHost
	x, w float64
	rows [][]*itemBox
}

func (h *hostBox) cx() float64 { return h.x + h.w/2 }

// band is one network's stripe across the hosts, top to bottom: the
// tracks of the tunnels that pass over hosts, the bridges, the gap where
// their links are labelled, the row of things plugged in, the gap where
// the links down to the next band are labelled and the lanes run.
type band struct {
	top           float64
	tracks        int
	corrH, upGap  float64
	rowH, downGap float64
	lanes         int // lanes leaving one host's row, at most
}

func (b *band) busY() float64 { return b.top + b.corrH }
func (b *band) rowY() float64 { return b.busY() + nodeH + b.upGap }
func (b *band) height() float64 {
	return b.corrH + nodeH + b.upGap + b.rowH + b.downGap
}

// geo is the scene's geometry, worked out in the order each part needs
// the others: rows, then columns, then heights from the top down.
type geo struct {
	s       *scene
	d       *drawing
	hosts   []*hostBox
	bands   []*band
	routes  []*tunnelRoute
	gutters []float64 // right of each host

	router      rect
	left, right []*hostBox // hosts left and right of the router, nearest first
	maxRank     int
	y0, frameH  float64 // the hosts' frames
	headerH     float64
}

// place lays the scene out: the router above a row of hosts, the bands
// of the networks across them, the labels where they touch nothing.
func place(s *scene) *drawing {
	g := &geo{s: s, d: &drawing{}}
	if len(s.hosts) == 0 {
		g.d.add(&element{texts: []text{{s: s.caption, size: fsCaption, bold: true, anchor: "start", fill: "#111"}}})
		return g.d
	}
	g.measure()
	g.columns()
	g.heights()
	g.paintFrames()
	g.paintTunnels()
	g.paintUplinks()
	g.paintBridges()
	g.labelTracks()
	g.paintRouter()
	g.paintCaption()
	return g.d
}

// measure packs each host's rows and makes each band as tall as its
// tallest row and the labels around it.
func (g *geo) measure() {
	nb := len(g.s.nets)
	var tracks []int
	g.routes, tracks = routeTunnels(g.s)
	for b := range nb {
		g.bands = append(g.bands, &band{tracks: tracks[b]})
	}
	for _, sh := range g.s.hosts {
		hb := &hostBox{sHost: sh, rows: make([][]*itemBox, nb)}
		for b, row := range sh.rows {
			bd, lanes := g.bands[b], 0
			for _, it := range row {
				ib := measureItem(it)
				hb.rows[b] = append(hb.rows[b], ib)
				bd.upGap = max(bd.upGap, 24, 10+float64(len(ib.upL))*lineStep)
				bd.rowH = max(bd.rowH, ib.h)
				if n := max(len(ib.downL), len(ib.laneL)); n > 0 {
					bd.downGap = max(bd.downGap, 10+float64(n)*lineStep)
				}
				lanes += len(ib.lanes)
			}
			bd.lanes = max(bd.lanes, lanes)
		}
		g.hosts = append(g.hosts, hb)
	}
	for _, bd := range g.bands {
		if bd.tracks > 0 {
			bd.corrH = float64(bd.tracks)*trackGap + 8
		}
		bd.downGap += 6 * float64(bd.lanes)
	}
}

// columns sizes each host wide enough for its title, every bridge's
// label, every row, and the labels of tunnels on a track over it; and
// each gutter for the labels of the tunnels across it.
func (g *geo) columns() {
	for i, hb := range g.hosts {
		w := max(140, textWidth(hb.title, fsNode, true)+20, textWidth(hb.status, fsLink, false)+20)
		for b, bus := range hb.buses {
			if bus != nil {
				w = max(w, textWidth(bus.label, fsNode, false)+2*padX+24)
			}
			w = max(w, packRow(hb.rows[b])+2*padX+8)
		}
		for _, r := range g.routes {
			if r.track >= 0 && r.labelM == i {
				drops := float64(g.bands[r.band].tracks)
				w = max(w, textWidth(trackLabel(r.sTunnel), fsLink, false)+2*(padX+12+dropStep*drops)+8)
			}
		}
		hb.w = w
	}
	g.gutters = make([]float64, len(g.hosts))
	for i := range g.gutters {
		g.gutters[i] = gutterMin
	}
	for _, r := range g.routes {
		if r.track < 0 {
			for _, l := range linkLines(r.sEdge) {
				g.gutters[r.a] = max(g.gutters[r.a], textWidth(l, fsLink, false)+16)
			}
		}
	}
	x := 0.0
	for i, hb := range g.hosts {
		hb.x = x
		x += hb.w + g.gutters[i]
	}
}

// heights works down from the top: the router centred over the hosts,
// its links' levels, the frames, the bands.
func (g *geo) heights() {
	last := g.hosts[len(g.hosts)-1]
	rx := (g.hosts[0].x + last.x + last.w) / 2
	for _, hb := range g.hosts {
		switch {
		case hb.cx() < rx-12:
			g.left = append([]*hostBox{hb}, g.left...)
		case hb.cx() > rx+12:
			g.right = append(g.right, hb)
		}
	}
	g.maxRank = max(len(g.left), len(g.right)) - 1
	w := max(textWidth("router", fsNode, false)+32, 2*(10+dropStep*float64(g.maxRank+1))+12)
	g.router = rect{rx - w/2, 40, w, nodeH}
	labels := 0.0
	for _, hb := range g.hosts {
		labels = max(labels, float64(len(uplinkLines(hb.sHost)))*lineStep+8)
	}
	g.y0 = g.level(0) + labels + 4
	g.headerH = 30
	for _, hb := range g.hosts {
		if hb.status != "" {
			g.headerH = 30 + lineStep
		}
	}
	y := g.y0 + g.headerH
	for _, bd := range g.bands {
		bd.top = y
		y += bd.height() + bandGap
	}
	g.frameH = y - bandGap + 12 - g.y0
}

// level is the height of the router's links to the hosts of a rank:
// outer hosts higher, so that no link crosses another.
func (g *geo) level(rank int) float64 {
	return g.router.bottom() + 14 + float64(max(g.maxRank-rank, 0))*levelGap
}

func (g *geo) bus(hb *hostBox, b int) rect {
	return rect{hb.x + padX, g.bands[b].busY(), hb.w - 2*padX, nodeH}
}
