package draw

// Sizes of the picture, in px.
const (
	fsNode    = 12.0 // nodes, bridges, hosts' titles
	fsLink    = 11.0 // the labels of lines
	fsCaption = 14.0
	lineStep  = 14.0 // from one line of a label to the next
	margin    = 16.0 // around everything
	nodeH     = 26.0 // a node of one line; a bridge
	padX      = 16.0 // from a frame's side to its bridges' ends
	itemGap   = 16.0 // between two things under a bridge
	trackGap  = 18.0 // between the levels of tunnels that pass over hosts
	bandGap   = 18.0 // between one network's band and the next
	gutterMin = 48.0 // between two hosts
	levelGap  = 12.0 // between the levels of the router's links
	linkOff   = 14.0 // a box's link, from its left side
	dropStep  = 10.0 // between the ends of tunnels that pass over hosts
)

// itemBox is a thing under a bridge as laid out in its row.
type itemBox struct {
	it         *sItem
	w, h, off  float64 // size; where its link leaves it, from its left
	x          float64 // from the row's start
	up         *sLink  // to the bridge above
	down       []*sLink
	lanes      []*sLink // to a bridge further down, around the left of the host
	upL, downL []string // label lines of its links above and below
	laneL      []string // label lines of its lanes, right of the first lane
}

// laneX is where lane k leaves the thing, from its left: the first
// rightmost, so that its labels have the room right of it.
func (b *itemBox) laneX(k int) float64 { return b.w - 10 - 8*float64(k) }

// reach is how far right of its left side the thing and its labels go.
func (b *itemBox) reach() float64 {
	r := max(b.w, b.off+5+max(b.labelW(b.upL), b.labelW(b.downL)))
	if len(b.lanes) > 0 {
		r = max(r, b.laneX(0)+5+b.labelW(b.laneL))
	}
	return r
}

func (b *itemBox) labelW(lines []string) float64 {
	w := 0.0
	for _, l := range lines {
		w = max(w, textWidth(l, fsLink, false))
	}
	return w
}

// linkLines label a line: its name, and where a failure's cause is, why.
func linkLines(e sEdge) []string {
	if s := status(e.v); s != "" {
		return []string{e.label, s}
	}
	return []string{e.label}
}

// measureItem sizes a thing and sorts its links: up to its row's
// bridge, down to the next band's, or along a lane to one further down.
func measureItem(it *sItem) *itemBox {
	b := &itemBox{it: it}
	tw := 0.0
	for _, l := range it.lines {
		tw = max(tw, textWidth(l, fsNode, false))
	}
	b.h = nodeH + float64(len(it.lines)-1)*lineStep
	if it.ellipse {
		// Text fits an ellipse when its corners do: 1.25 times as wide.
		b.w = tw*1.25 + 12
		b.off = b.w / 2
	} else {
		b.w, b.off = tw+16, linkOff
	}
	for _, l := range it.links {
		switch {
		case l.band == it.row && b.up == nil:
			b.up = l
			b.upL = linkLines(l.sEdge)
		case l.band == it.row+1:
			b.down = append(b.down, l)
			b.downL = append(b.downL, linkLines(l.sEdge)...)
		default:
			b.lanes = append(b.lanes, l)
			b.laneL = append(b.laneL, linkLines(l.sEdge)...)
		}
	}
	if n := len(b.lanes); n > 0 {
		// The labels of the links straight down end before the lanes.
		b.w = max(b.w, b.off+5+b.labelW(b.downL)+16+8*float64(n-1)+10)
	}
	return b
}

// packRow places a row's things left to right, each link's label
// between its line and the next thing's.
func packRow(row []*itemBox) float64 {
	w := 0.0
	for i, b := range row {
		if i > 0 {
			p := row[i-1]
			b.x = max(p.x+p.w+itemGap, p.x+p.reach()+8-b.off)
		}
		w = max(w, b.x+b.reach())
	}
	return w
}

// trackLabel is the one line a tunnel on a track is labelled with.
func trackLabel(t *sTunnel) string {
	if s := status(t.v); s != "" {
		return t.label + " " + s
	}
	return t.label
}

// uplinkLines label a host's link to the router: the next hop and the
// underlay's MTU, or why it is a failure's cause.
func uplinkLines(h *sHost) []string {
	s := status(h.uplink.v)
	switch {
	case s == "":
		return []string{h.uplink.label, h.mtu}
	case h.uplink.v.cause != "":
		return []string{h.uplink.label, s} // the MTU is the cause: said once
	default:
		return []string{h.uplink.label, h.mtu, s}
	}
}
