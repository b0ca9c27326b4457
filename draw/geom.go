package draw

// rect is an axis-aligned box: a node, a host's frame or a text's extent.
type rect struct{ x, y, w, h float64 }

func (r rect) right() float64  { return r.x + r.w }
func (r rect) bottom() float64 { return r.y + r.h }
func (r rect) cx() float64     { return r.x + r.w/2 }
func (r rect) cy() float64     { return r.y + r.h/2 }

// overlaps reports whether r and o share more than an edge.
func (r rect) overlaps(o rect) bool {
	return r.x < o.right() && o.x < r.right() && r.y < o.bottom() && o.y < r.bottom()
}

// contains reports whether o lies inside r.
func (r rect) contains(o rect) bool {
	return o.x >= r.x && o.y >= r.y && o.right() <= r.right() && o.bottom() <= r.bottom()
}

// grow is r with d more on every side.
func (r rect) grow(d float64) rect { return rect{r.x - d, r.y - d, r.w + 2*d, r.h + 2*d} }

// pt is a point of a line.
type pt struct{ x, y float64 }

// seg is one straight piece of a drawn line.
type seg struct{ x1, y1, x2, y2 float64 }

// segments are the pieces of the polyline through ps.
func segments(ps []pt) []seg {
	var out []seg
	for i := 1; i < len(ps); i++ {
		out = append(out, seg{ps[i-1].x, ps[i-1].y, ps[i].x, ps[i].y})
	}
	return out
}

// crosses reports whether s passes through the inside of r (touching
// its edge does not count), by clipping s to r (Liang–Barsky).
func (r rect) crosses(s seg) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := s.x2-s.x1, s.y2-s.y1
	for _, c := range [4][2]float64{{-dx, s.x1 - r.x}, {dx, r.right() - s.x1}, {-dy, s.y1 - r.y}, {dy, r.bottom() - s.y1}} {
		p, q := c[0], c[1]
		if p == 0 {
			if q <= 0 {
				return false
			}
			continue
		}
		t := q / p
		if p < 0 {
			t0 = max(t0, t)
		} else {
			t1 = min(t1, t)
		}
		if t0 >= t1 {
			return false
		}
	}
	return true
}

// intersects reports whether two segments meet at a point inside both
// (segments that share an end, or that only touch, do not count).
func (s seg) intersects(o seg) bool {
	d := (s.x2-s.x1)*(o.y2-o.y1) - (s.y2-s.y1)*(o.x2-o.x1)
	if d == 0 {
		return false // parallel: lines of the picture never overlap lengthwise
	}
	t := ((o.x1-s.x1)*(o.y2-o.y1) - (o.y1-s.y1)*(o.x2-o.x1)) / d
	u := ((o.x1-s.x1)*(s.y2-s.y1) - (o.y1-s.y1)*(s.x2-s.x1)) / d
	const eps = 1e-9
	return t > eps && t < 1-eps && u > eps && u < 1-eps
}
