package topology

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Expectation is one entry of expect:, what must hold in the running lab,
// resolved to the node that sends the probe and the address it probes.
// `ovslab check` grades it.
type Expectation struct {
	Line int    // where the entry starts in the file, for reports
	From string // the sending node
	// FromHost: From is a host, sending from its own namespace through
	// its host port; otherwise a container.
	FromHost bool
	To       string // the target as written: NODE, NODE.NETWORK, an address or wan
	Dst      netip.Addr
	WAN      bool // Dst is the emulated internet, which only emulated labs have
	Kind     string
	Reach    bool          // ExpectReach: whether a reply must come (true) or must not (false)
	MTU      int           // ExpectMTU: the IP size of a Don't-Fragment packet that must pass
	FullMTU  bool          // mtu: full; MTU is then the path's own, from its interfaces (fullSize)
	RTTMin   time.Duration // ExpectRTT: the window the measured round trip must fall in
	RTTMax   time.Duration
	Message  string // what the student sees when it fails; may be ""
	Stage    string // the stage whose expect: it is in, "" for the file's own
}

// Expectation kinds: exactly one per entry.
const (
	ExpectReach = "reach"
	ExpectMTU   = "mtu"
	ExpectRTT   = "rtt"
)

// Bounds of expect: values. An MTU expectation spans the MTUs an interface
// can have; an RTT window beyond MaxRTT is no network a lab builds, and it
// bounds how long `check` waits for a reply.
const (
	MinExpectMTU = 576
	MaxExpectMTU = 9000
	MaxRTT       = 10 * time.Second
)

// Want is the expectation as a student wrote it: "reach: false",
// "mtu: 1500", "rtt: 100ms..400ms".
func (e Expectation) Want() string {
	switch e.Kind {
	case ExpectReach:
		return fmt.Sprintf("reach: %v", e.Reach)
	case ExpectMTU:
		if e.FullMTU {
			return "mtu: full"
		}
		return fmt.Sprintf("mtu: %d", e.MTU)
	case ExpectRTT:
		return fmt.Sprintf("rtt: %s..%s", e.RTTMin, e.RTTMax)
	}
	return e.Kind
}

var (
	expectKeys = []string{"from", "to", "reach", "mtu", "rtt", "message"}
	rttKeys    = []string{"min", "max"}
)

// expect reads the list under expect:. Names in from and to are resolved
// by validateExpect, once every node is known.
func (p *parser) expect(f field) []Expectation { return p.expectList(f, "expect") }

// expectList reads a list of expectations at path: the file's own
// expect:, or a stage's (stages[i].expect).
func (p *parser) expectList(f field, at string) []Expectation {
	p.mark(at, f.key)
	if isNull(f.val) {
		return nil
	}
	if f.val.Kind != yaml.SequenceNode {
		p.errAt(f.val, at, "expected a list of {from, to, reach|mtu|rtt, message}, found %s", describe(f.val))
		return nil
	}
	var out []Expectation
	for i, n := range f.val.Content {
		if !p.spend(n) {
			break
		}
		n = resolve(n)
		path := index(at, i)
		p.mark(path, n)
		e := Expectation{Line: n.Line}
		if o, ok := p.object(n, nil, path, expectKeys...); ok {
			p.expectation(o, &e)
		}
		out = append(out, e)
	}
	return out
}

func (p *parser) expectation(o *object, e *Expectation) {
	path := o.path
	if f, ok := p.required(o, "from"); ok {
		e.From, _ = p.str(f, path+".from")
	}
	if f, ok := p.required(o, "to"); ok {
		if s, ok := p.str(f, path+".to"); ok {
			e.To = s
			if looksLikeAddr(s) {
				e.Dst = p.addr(f, path+".to")
			}
		}
	}
	var kinds []string
	for _, k := range []string{ExpectReach, ExpectMTU, ExpectRTT} {
		if o.has(k) {
			kinds = append(kinds, k)
		}
	}
	switch len(kinds) {
	case 0:
		p.errAt(o.anchor, path, "say what must hold: one of reach (true or false), mtu (a packet size) or rtt ({min, max})")
		return
	case 1:
		e.Kind = kinds[0]
	default:
		f := o.m[kinds[1]]
		p.errAt(f.key, join(path, kinds[1]), "give one of reach, mtu, rtt per entry, found %s; write one entry for each", strings.Join(kinds, " and "))
		return
	}
	f := o.m[e.Kind]
	if isNull(f.val) {
		p.errAt(f.key, join(path, e.Kind), "%q has no value", e.Kind)
		return
	}
	switch e.Kind {
	case ExpectReach:
		e.Reach, _ = p.boolean(f, path+".reach")
	case ExpectMTU:
		if f.val.Kind == yaml.ScalarNode && f.val.ShortTag() == "!!str" {
			p.mark(path+".mtu", f.val)
			if f.val.Value != "full" {
				p.errAt(f.val, path+".mtu", "expected a packet size (%d..%d) or full (the largest packet the path's interfaces send), found %s", MinExpectMTU, MaxExpectMTU, describe(f.val))
			}
			e.FullMTU = true
			break
		}
		v, _ := p.integer(f, path+".mtu", MinExpectMTU, MaxExpectMTU)
		e.MTU = int(v)
	case ExpectRTT:
		p.rtt(f, path+".rtt", e)
	}
	if f, ok := o.get("message"); ok {
		if s, ok := p.str(f, path+".message"); ok {
			if strings.TrimSpace(s) == "" {
				p.errAt(f.val, path+".message", "message is empty; say what the student should learn, or leave message out")
			}
			e.Message = s
		}
	}
}

func (p *parser) rtt(f field, path string, e *Expectation) {
	o, ok := p.object(f.val, f.key, path, rttKeys...)
	if !ok {
		return
	}
	if f, ok := o.get("min"); ok {
		e.RTTMin, _ = p.duration(f, path+".min")
	}
	f, ok = p.required(o, "max")
	if !ok {
		return
	}
	max, ok := p.duration(f, path+".max")
	e.RTTMax = max
	switch {
	case !ok || p.bad[path+".min"]:
	case max == 0:
		p.errAt(f.val, path+".max", "max is 0: no reply is that fast; give the longest round trip that passes, e.g. 50ms")
	case max > MaxRTT:
		p.errAt(f.val, path+".max", "%s is over %s; check waits at most that long for a reply", max, MaxRTT)
	case e.RTTMin > max:
		p.errField(path+".min", "min %s is above max %s: no round trip can pass", e.RTTMin, max)
	}
}

// duration reads a Go duration such as 100ms or 1.5s, not negative.
func (p *parser) duration(f field, path string) (time.Duration, bool) {
	p.mark(path, f.val)
	if f.val.Kind != yaml.ScalarNode || f.val.ShortTag() != "!!str" {
		p.errAt(f.val, path, "expected a duration with its unit, e.g. 100ms, found %s", describe(f.val))
		return 0, false
	}
	d, err := time.ParseDuration(f.val.Value)
	switch {
	case err != nil:
		p.errAt(f.val, path, "%q is not a duration; write a number and a unit, e.g. 100ms or 1.5s", f.val.Value)
	case d < 0:
		p.errAt(f.val, path, "%s is negative", d)
	default:
		return d, true
	}
	return 0, false
}
