package draw

// The picture names its font and measures its text with that font's
// advance widths, because an SVG cannot ask how wide a text will be and
// a label placed by guesswork ends up over a line or cut at the edge.
// DejaVu Sans is the sans-serif of Debian and most Linux desktops;
// Verdana, its look-alike on macOS and Windows, has nearly the same
// widths. Any other fallback is narrower, so the estimate only errs wide.
const (
	fontFamily = "DejaVu Sans, Verdana, Geneva, sans-serif"
	// Font units per em, and the font's ascent and descent in them (hhea):
	// the box a browser gives a line of text (getBBox) is as tall as both.
	fontUnits   = 2048
	fontAscent  = 1901
	fontDescent = 483
	// widthSlack covers Verdana's few wider glyphs and rounding.
	widthSlack = 1.05
)

// Advance widths of DejaVu Sans (Book and Bold) for ' ' to '~', in font
// units, read from the fonts' hmtx tables.
var (
	advRegular = [95]uint16{651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690,
		1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 690, 690, 1716, 1716, 1716, 1087,
		2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532, 1612,
		1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024,
		1024, 1255, 1300, 1126, 1300, 1260, 721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253,
		1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690, 1303, 1716}
	advBold = [95]uint16{713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748,
		1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 819, 819, 1716, 1716, 1716, 1188,
		2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714, 1741,
		1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748, 936, 1716, 1024,
		1024, 1382, 1466, 1214, 1466, 1389, 891, 1466, 1458, 702, 702, 1362, 702, 2134, 1458, 1407,
		1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748, 1458, 1716}
)

// textWidth is how wide s is drawn at size px, at most: any character
// outside ASCII counts as a full em, wider than any letter.
func textWidth(s string, size float64, bold bool) float64 {
	adv := &advRegular
	if bold {
		adv = &advBold
	}
	units := 0
	for _, r := range s {
		if r >= ' ' && r <= '~' {
			units += int(adv[r-' '])
		} else {
			units += fontUnits
		}
	}
	return float64(units) * size / fontUnits * widthSlack
}

// textBox is the box a line of text at (x, y) takes: y is its baseline,
// anchor says whether x is its start, middle or end.
func textBox(s string, x, y, size float64, bold bool, anchor string) rect {
	w := textWidth(s, size, bold)
	switch anchor {
	case "middle":
		x -= w / 2
	case "end":
		x -= w
	}
	return rect{x, y - size*fontAscent/fontUnits, w, size * (fontAscent + fontDescent) / fontUnits}
}
