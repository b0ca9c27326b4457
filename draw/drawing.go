package draw

// A drawing is the picture laid out: elements of shapes and text at
// fixed places, which svg.go writes out and the layout asks for room.
type drawing struct {
	elems []*element
}

// element is one thing of the picture: a link with its labels, a node
// with its text, a host's frame with its title. It becomes one <g>.
type element struct {
	key    string // the part it draws (LinkKey, ...), "" for none
	tip    string // tooltip
	shapes []shape
	texts  []text
}

type shapeKind int

const (
	shapeLine shapeKind = iota
	shapeRect
	shapeEllipse
)

type shape struct {
	kind   shapeKind
	r      rect // rect and ellipse
	pts    []pt // line
	fill   string
	stroke string
	width  float64
	dash   bool
	hollow bool // a frame other things are drawn inside
}

type text struct {
	s      string
	x, y   float64 // y is the baseline
	size   float64
	bold   bool
	anchor string // "start", "middle", "end"
	fill   string
}

func (t text) box() rect { return textBox(t.s, t.x, t.y, t.size, t.bold, t.anchor) }

func (d *drawing) add(e *element) *element {
	d.elems = append(d.elems, e)
	return e
}

// free reports whether a text at r would touch no other text, no line
// and no node, and cross no frame's edge: what TestSVGReadable checks,
// asked before placing a label that has more than one place to go.
func (d *drawing) free(r rect, self *element) bool {
	r = r.grow(1)
	for _, e := range d.elems {
		if e != self { // its own texts are placed together
			for _, t := range e.texts {
				if t.box().overlaps(r) {
					return false
				}
			}
		}
		for _, s := range e.shapes {
			switch {
			case s.kind == shapeLine:
				for _, sg := range segments(s.pts) {
					if r.crosses(sg) {
						return false
					}
				}
			case s.hollow:
				if s.r.overlaps(r) && !s.r.contains(r) {
					return false
				}
			default:
				if s.r.overlaps(r) {
					return false
				}
			}
		}
	}
	return true
}

// find is the element that draws the part key.
func (d *drawing) find(key string) *element {
	for _, e := range d.elems {
		if e.key == key {
			return e
		}
	}
	return nil
}

// bounds is the box everything drawn lies in.
func (d *drawing) bounds() rect {
	first := true
	var lo, hi pt
	grow := func(r rect) {
		if first {
			lo, hi, first = pt{r.x, r.y}, pt{r.right(), r.bottom()}, false
			return
		}
		lo.x, lo.y = min(lo.x, r.x), min(lo.y, r.y)
		hi.x, hi.y = max(hi.x, r.right()), max(hi.y, r.bottom())
	}
	for _, e := range d.elems {
		for _, s := range e.shapes {
			if s.kind == shapeLine {
				for _, p := range s.pts {
					grow(rect{p.x, p.y, 0, 0})
				}
				continue
			}
			grow(s.r)
		}
		for _, t := range e.texts {
			grow(t.box())
		}
	}
	return rect{lo.x, lo.y, hi.x - lo.x, hi.y - lo.y}
}
