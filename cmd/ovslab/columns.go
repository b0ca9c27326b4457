package main

import (
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// outputWidth is how wide lines printed to f may be: the terminal's
// width, else $COLUMNS, else 0 (no limit: a pipe gets each result on one
// line, for grep).
func outputWidth(f *os.File) int {
	if w, _, err := term.GetSize(int(f.Fd())); err == nil && w > 0 {
		return w
	}
	if w, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && w > 0 {
		return w
	}
	return 0
}

// row is one result of a report laid out in columns: the leading cells,
// the detail after them, and notes on lines of their own below.
type row struct {
	cells  []string
	detail string
	notes  []string
}

// minDetail is the narrowest a detail column may get before details move
// to lines of their own under the row.
const minDetail = 30

// printRows writes rows in columns as wide as their content and no wider
// than width (0: no limit). The last cell is capped so the detail keeps
// room; a longer one, and a detail that would not fit, continue on the
// next lines, wrapped at spaces. Only a single word longer than the room
// left makes a line wider than width. No line ends in spaces.
func printRows(w io.Writer, rows []row, width int) {
	if len(rows) == 0 {
		return
	}
	n := len(rows[0].cells)
	widths := make([]int, n)
	var last []int // the last cell's width in rows with a detail
	for _, r := range rows {
		for i, c := range r.cells[:n-1] {
			widths[i] = max(widths[i], runes(c))
		}
		if r.detail != "" {
			last = append(last, runes(r.cells[n-1]))
		}
	}
	slices.Sort(last)
	if len(last) > 0 {
		widths[n-1] = last[len(last)-1]
	}
	lead := 0 // where the last cell starts
	for _, cw := range widths[:n-1] {
		lead += cw + 2
	}
	detailCol := lead + widths[n-1] + 2
	if width > 0 && len(last) > 0 {
		// The last cell (e.g. "from -> to") gives way to the detail: as
		// wide as most rows need and the detail's room allows, the
		// longer ones overflowing onto a line of their own; where that
		// would be most rows, every detail goes below its row.
		widths[n-1] = min(widths[n-1], last[len(last)*3/4], width-lead-2-minDetail)
		detailCol = lead + widths[n-1] + 2
		if widths[n-1] < last[len(last)/2] {
			detailCol = lead + 2
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r.cells {
			b.WriteString(c)
			if i < n-1 {
				b.WriteString(strings.Repeat(" ", widths[i]+2-runes(c)))
			}
		}
		line := b.String()
		if r.detail != "" {
			if pad := detailCol - runes(line); pad >= 2 {
				line += strings.Repeat(" ", pad)
			} else {
				writeLine(w, line) // the row's cells fill the line: the detail starts below
				line = strings.Repeat(" ", detailCol)
			}
		}
		writeWrapped(w, line, r.detail, detailCol, width)
		for _, note := range r.notes {
			writeWrapped(w, strings.Repeat(" ", lead+2), note, lead+2, width)
		}
	}
}

// writeWrapped writes prefix followed by text, wrapped at spaces so no
// line passes width (0: no limit); continuation lines start at column
// indent.
func writeWrapped(w io.Writer, prefix, text string, indent, width int) {
	line := prefix
	fresh := true // nothing of text on this line yet
	for _, word := range strings.Fields(text) {
		switch {
		case fresh:
			line += word
		case width > 0 && runes(line)+1+runes(word) > width:
			writeLine(w, line)
			line = strings.Repeat(" ", indent) + word
		default:
			line += " " + word
		}
		fresh = false
	}
	writeLine(w, line)
}

func writeLine(w io.Writer, s string) {
	io.WriteString(w, strings.TrimRight(s, " ")+"\n")
}

func runes(s string) int { return utf8.RuneCountInString(s) }
