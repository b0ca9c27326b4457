package draw

import (
	"fmt"
	"strings"
)

// Overlay colours a picture of the lab by what a check found: each link,
// tunnel and host of the picture, named by its key (LinkKey, TunnelKey,
// GatewayKey, UplinkKey, HostKey), with the results that crossed it.
type Overlay struct {
	Caption string            // a title, e.g. when the check ran and its score
	Health  map[string]Health // key → results
}

// Health is how the checks that crossed one part of the picture went.
type Health struct {
	Passed, Failed int
	Failures       []string // what failed, one line each, for the tooltip
	// Passes is what passed, one line each. With Failures it gives back
	// each result's path (the parts counted with the same line), which is
	// how the SVG finds where a failure's cause is (see blame).
	Passes []string
}

// Add counts one result. what is one line saying what was tried; the
// line of one result must be the same on every part it crossed.
func (h *Health) Add(ok bool, what string) {
	if ok {
		h.Passed++
		h.Passes = append(h.Passes, what)
		return
	}
	h.Failed++
	h.Failures = append(h.Failures, what)
}

func (o *Overlay) health(key string) (Health, bool) {
	if o == nil {
		return Health{}, false
	}
	h, ok := o.Health[key]
	return h, ok && h.Passed+h.Failed > 0
}

// Colours a colour-blind reader can still tell apart by brightness.
const (
	colourOK      = "#1b7837" // every check across it passed
	colourFailed  = "#c51b0a" // every one failed
	colourMixed   = "#e08214" // some failed
	colourUnknown = "#9e9e9e" // no check crossed it
)

func (h Health) colour() string {
	switch {
	case h.Passed+h.Failed == 0:
		return colourUnknown
	case h.Failed == 0:
		return colourOK
	case h.Passed == 0:
		return colourFailed
	default:
		return colourMixed
	}
}

// suffix is what an edge label gains: nothing when all went well, the
// score otherwise, so a picture printed in black and white still tells.
func (h Health) suffix(checked bool) string {
	switch {
	case !checked:
		return " (not checked)"
	case h.Failed == 0:
		return ""
	default:
		return fmt.Sprintf(" (%d of %d FAILED)", h.Failed, h.Passed+h.Failed)
	}
}

func (h Health) summary() string {
	if h.Passed+h.Failed == 0 {
		return "no check crossed this"
	}
	s := fmt.Sprintf("%d passed, %d failed", h.Passed, h.Failed)
	if len(h.Failures) > 0 {
		s += ":\n" + strings.Join(h.Failures, "\n")
	}
	return s
}
