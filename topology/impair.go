package topology

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Impair is what a link does to the packets it sends, in each direction:
// both ends of a container's veth get it, so a round trip sees twice the
// delay and loss.
type Impair struct {
	Delay  time.Duration // added to every packet
	Jitter time.Duration // random variation of Delay, needs Delay
	Loss   float64       // percent of packets dropped, 0..100
	Rate   uint64        // bits per second, 0 = unlimited
}

// Bounds of the impairment values: beyond them a lab is broken rather
// than slow.
const (
	maxDelay = 10 * time.Second
	minRate  = 8_000          // 8kbit: one full-size packet in 1.5 s
	maxRate  = 10_000_000_000 // 10gbit: beyond what a veth through OVS userspace moves
)

// NeedsNetem reports whether the impairment needs the kernel's netem
// qdisc (delay, jitter, loss); a rate alone is a tbf qdisc.
func (i Impair) NeedsNetem() bool { return i.Delay > 0 || i.Jitter > 0 || i.Loss > 0 }

// String is the impairment as the file writes it: "delay 50ms jitter 5ms
// loss 1% rate 10mbit".
func (i Impair) String() string {
	var parts []string
	if i.Delay > 0 {
		parts = append(parts, "delay "+i.Delay.String())
	}
	if i.Jitter > 0 {
		parts = append(parts, "jitter "+i.Jitter.String())
	}
	if i.Loss > 0 {
		parts = append(parts, "loss "+FormatLoss(i.Loss))
	}
	if i.Rate > 0 {
		parts = append(parts, "rate "+FormatRate(i.Rate))
	}
	return strings.Join(parts, " ")
}

// impairJSON is Impair on the wire, each value written as in the file.
type impairJSON struct {
	Delay  string `json:"delay,omitempty"`
	Jitter string `json:"jitter,omitempty"`
	Loss   string `json:"loss,omitempty"`
	Rate   string `json:"rate,omitempty"`
}

// MarshalJSON writes the values as the file does ("50ms", "1%", "10mbit").
func (i Impair) MarshalJSON() ([]byte, error) {
	var v impairJSON
	if i.Delay > 0 {
		v.Delay = i.Delay.String()
	}
	if i.Jitter > 0 {
		v.Jitter = i.Jitter.String()
	}
	if i.Loss > 0 {
		v.Loss = FormatLoss(i.Loss)
	}
	if i.Rate > 0 {
		v.Rate = FormatRate(i.Rate)
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (i *Impair) UnmarshalJSON(data []byte) error {
	var v impairJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	var out Impair
	var err error
	if v.Delay != "" {
		if out.Delay, err = parseDelay("delay", v.Delay); err != nil {
			return err
		}
	}
	if v.Jitter != "" {
		if out.Jitter, err = parseDelay("jitter", v.Jitter); err != nil {
			return err
		}
	}
	if v.Loss != "" {
		if out.Loss, err = parseLoss(v.Loss); err != nil {
			return err
		}
	}
	if v.Rate != "" {
		if out.Rate, err = parseRate(v.Rate); err != nil {
			return err
		}
	}
	*i = out
	return nil
}

// parseDelay reads a duration such as 50ms, 1.5s or 200us.
func parseDelay(what, s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0, fmt.Errorf("%s %q is not a duration; write it like 50ms, 1.5s or 200us", what, s)
	case d < 0:
		return 0, fmt.Errorf("%s %s is negative", what, s)
	case d > maxDelay:
		return 0, fmt.Errorf("%s %s is over %s; a path that slow is broken, not slow", what, s, maxDelay)
	case d != 0 && d < time.Microsecond:
		return 0, fmt.Errorf("%s %s is below the qdisc's resolution of 1us", what, s)
	}
	return d, nil
}

// parseLoss reads a percentage: 1%, 0.5% or a plain number of percent.
func parseLoss(s string) (float64, error) {
	num := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	v, err := strconv.ParseFloat(num, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("loss %q is not a percentage; write it like 1%% or 0.5%%", s)
	case v < 0 || v > 100:
		return 0, fmt.Errorf("loss %s is out of range 0%%..100%%", s)
	}
	return v, nil
}

var rateSyntax = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)$`)

// rateUnits are tc's bit-rate units (decimal, as tc reads them).
var rateUnits = map[string]uint64{"bit": 1, "kbit": 1e3, "mbit": 1e6, "gbit": 1e9}

// parseRate reads a bit rate such as 10mbit, 512kbit or 1gbit.
func parseRate(s string) (uint64, error) {
	m := rateSyntax.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("rate %q is not a bit rate; write it like 10mbit, 512kbit or 1gbit", s)
	}
	unit, ok := rateUnits[strings.ToLower(m[2])]
	if !ok {
		hint := ""
		if strings.HasSuffix(strings.ToLower(m[2]), "bps") {
			hint = " (tc's bps units are bytes per second; ovslab takes bits: mbit)"
		}
		return 0, fmt.Errorf("rate %q has unknown unit %q%s; use bit, kbit, mbit or gbit", s, m[2], hint)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	bits := v * float64(unit)
	if bits < minRate || bits > maxRate {
		return 0, fmt.Errorf("rate %s is out of range %s..%s", s, FormatRate(minRate), FormatRate(maxRate))
	}
	return uint64(bits), nil
}

// FormatRate writes bits per second in the largest unit that keeps it whole.
func FormatRate(bits uint64) string {
	for _, u := range []string{"gbit", "mbit", "kbit"} {
		if n := rateUnits[u]; bits >= n && bits%n == 0 {
			return strconv.FormatUint(bits/n, 10) + u
		}
	}
	return strconv.FormatUint(bits, 10) + "bit"
}

// FormatLoss writes a percentage: 1%, 0.5%.
func FormatLoss(pct float64) string {
	return strconv.FormatFloat(pct, 'f', -1, 64) + "%"
}

// qdisc names the kernel queueing discipline the impairment becomes.
func (i Impair) qdisc() string {
	if i.NeedsNetem() {
		return "netem"
	}
	return "tbf"
}

// impair reads {delay, jitter, loss, rate}.
func (p *parser) impair(f field, path string) *Impair {
	p.mark(path, f.key)
	o, ok := p.object(f.val, f.key, path, "delay", "jitter", "loss", "rate")
	if !ok {
		return nil
	}
	if len(f.val.Content) == 0 {
		p.errAt(f.val, path, "impair is empty; give delay, jitter, loss or rate, or leave impair out")
		return nil
	}
	var im Impair
	read := func(key string, parse func(string) error) {
		g, ok := o.get(key)
		if !ok {
			return
		}
		// Numbers come as !!int or !!float: loss: 1 means 1%.
		s, ok := p.str(g, path+"."+key)
		if !ok {
			return
		}
		if err := parse(s); err != nil {
			p.errAt(g.val, path+"."+key, "%v", err)
		}
	}
	read("delay", func(s string) (err error) { im.Delay, err = parseDelay("delay", s); return })
	read("jitter", func(s string) (err error) { im.Jitter, err = parseDelay("jitter", s); return })
	read("loss", func(s string) (err error) { im.Loss, err = parseLoss(s); return })
	read("rate", func(s string) (err error) { im.Rate, err = parseRate(s); return })
	if im.Jitter > 0 && im.Delay == 0 && !p.bad[path+".delay"] {
		g := o.m["jitter"]
		p.errAt(g.key, path+".jitter", "jitter varies the delay, and there is none; set delay too (e.g. delay: 50ms, jitter: 5ms)")
	}
	if im == (Impair{}) {
		return nil // every value was bad (reported) or zero: nothing to apply
	}
	return &im
}
