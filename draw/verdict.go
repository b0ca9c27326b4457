package draw

import (
	"fmt"
	"slices"
	"strings"
)

// colour is how a line drawn for v looks: red where a failure's cause
// is, green where every check across it passed, grey where no check
// tells (nothing crossed it, or only failures caused elsewhere).
func (v *verdict) colour() string {
	switch {
	case v == nil:
		return colourPlain
	case len(v.blamed) > 0:
		return colourFailed
	case v.passed > 0:
		return colourOK
	default:
		return colourUnknown
	}
}

// colourPlain draws a picture without a check.
const colourPlain = "#555"

// status is the words a label gains where a failure's cause is, so a
// picture printed in grey still tells: "MTU 1500, VXLAN needs 1550: 2 FAILED".
func status(v *verdict) string {
	if v == nil || len(v.blamed) == 0 {
		return ""
	}
	n := len(v.blamed)
	if v.cause != "" {
		return fmt.Sprintf("%s: %d FAILED", v.cause, n)
	}
	if v.passed == 0 {
		return fmt.Sprintf("%d FAILED", n)
	}
	return fmt.Sprintf("%d of %d FAILED", n, n+v.passed)
}

// tooltip lists what went across the part: the failures it caused, the
// failures caused elsewhere, the count of passes.
func (v *verdict) tooltip() string {
	if v == nil {
		return ""
	}
	var b strings.Builder
	switch {
	case len(v.blamed) > 0 && v.cause != "":
		fmt.Fprintf(&b, "%s: the cause of %d failed checks", v.cause, len(v.blamed))
	case len(v.blamed) > 0:
		fmt.Fprintf(&b, "the cause of %d failed checks", len(v.blamed))
	case v.passed+len(v.crossed) == 0:
		b.WriteString("no check crossed this")
	default:
		b.WriteString("no failure caused here")
	}
	fmt.Fprintf(&b, "; %d passed", v.passed)
	list := func(prefix string, lines []string) {
		for i, l := range uniq(lines) {
			if i == maxTip {
				fmt.Fprintf(&b, "\n... and %d more", len(uniq(lines))-maxTip)
				return
			}
			b.WriteString("\n" + prefix + l)
		}
	}
	list("FAILED ", v.blamed)
	list("crossed by ", v.crossed)
	return b.String()
}

// maxTip is how many lines of each kind a tooltip lists: a tunnel of a
// big lab is crossed by hundreds of checks.
const maxTip = 12

// uniq is lines without repeats, "(×n)" after a repeated one.
func uniq(lines []string) []string {
	n := map[string]int{}
	var out []string
	for _, l := range lines {
		if n[l]++; n[l] == 1 {
			out = append(out, l)
		}
	}
	for i, l := range out {
		if n[l] > 1 {
			out[i] = fmt.Sprintf("%s (×%d)", l, n[l])
		}
	}
	return slices.Clip(out)
}
