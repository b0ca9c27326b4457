package ovs

import (
	"context"
	"net/netip"
	"strconv"
	"strings"
)

// Trace is what vswitchd's ofproto/trace said a bridge does with a frame:
// the same answer ovs-appctl ofproto/trace prints, read through the
// control socket.
type Trace struct {
	Notes   []string      // the pipeline's "->" lines on the first bridge: learned port, flooding, dropping ...
	Actions string        // the datapath actions, as OVS printed them
	Outputs []TraceOutput // where the frame goes, in action order
}

// TraceOutput is one place the frame leaves by.
type TraceOutput struct {
	Port   string     `json:"port,omitempty"` // the datapath port's name; "" for a tunnel
	Tunnel bool       `json:"tunnel,omitempty"`
	Key    uint32     `json:"key,omitempty"`   // a tunnel's VXLAN key
	Remote netip.Addr `json:"remote,omitzero"` // a tunnel's remote_ip
	VLAN   int        `json:"vlan,omitempty"`  // the 802.1Q tag the frame carries out, 0 = none
}

// TraceFlow runs `ofproto/trace BRIDGE FLOW` on the ovs-vswitchd behind
// the control socket and names the datapath ports its actions output to
// (dpif/show). flow is in ovs-ofctl's syntax, e.g.
// "in_port=vdoc1,icmp,dl_src=...,dl_dst=...,nw_src=...,nw_dst=...".
func TraceFlow(ctx context.Context, socket, bridge, flow string) (*Trace, error) {
	out, err := Appctl(ctx, socket, "ofproto/trace", bridge, flow)
	if err != nil {
		return nil, err
	}
	show, err := Appctl(ctx, socket, "dpif/show")
	if err != nil {
		return nil, err
	}
	return parseTrace(out, dpPorts(show, bridge)), nil
}

// parseTrace reads ofproto/trace's text; ports maps datapath port
// numbers to names.
func parseTrace(text string, ports map[int]string) *Trace {
	t := &Trace{}
	bridges := 0
	for _, l := range strings.Split(text, "\n") {
		s := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(s, "bridge(\""):
			bridges++
		case strings.HasPrefix(s, "->") && bridges == 1:
			t.Notes = append(t.Notes, strings.TrimSpace(strings.TrimPrefix(s, "->")))
		case strings.HasPrefix(s, "Datapath actions:"):
			t.Actions = strings.TrimSpace(strings.TrimPrefix(s, "Datapath actions:"))
		}
	}
	var p actionParser
	p.ports = ports
	p.walk(t.Actions)
	t.Outputs = p.out
	return t
}

// actionParser follows datapath actions in order, keeping the VLAN and a
// pending set(tunnel(...)) that a following output applies to.
type actionParser struct {
	ports  map[int]string
	vlan   int
	tunnel *TraceOutput // set(tunnel(...)) waiting for its output (kernel datapath)
	out    []TraceOutput
}

func (p *actionParser) walk(actions string) {
	for _, a := range splitTop(actions) {
		name, args, _ := strings.Cut(a, "(")
		args = strings.TrimSuffix(args, ")")
		switch {
		case isNumber(a):
			n, _ := strconv.Atoi(a)
			if p.tunnel != nil {
				o := *p.tunnel
				o.VLAN = p.vlan
				p.out = append(p.out, o)
				p.tunnel = nil
				continue
			}
			p.out = append(p.out, TraceOutput{Port: p.ports[n], VLAN: p.vlan})
		case name == "push_vlan":
			p.vlan, _ = strconv.Atoi(param(args, "vid"))
		case name == "pop_vlan":
			p.vlan = 0
		case name == "clone":
			saved := p.vlan
			p.walk(args)
			p.vlan = saved
		case name == "tnl_push":
			p.out = append(p.out, TraceOutput{Tunnel: true, Key: vni(param(args, "vni")), Remote: addr(param(inner(args, "ipv4"), "dst")), VLAN: p.vlan})
		case name == "set" && strings.HasPrefix(args, "tunnel("):
			tun := inner(args, "tunnel")
			p.tunnel = &TraceOutput{Tunnel: true, Key: vni(param(tun, "tun_id")), Remote: addr(param(tun, "dst"))}
		}
	}
}

// splitTop splits a,b(c,d),e at the commas outside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if rest := strings.TrimSpace(s[start:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// inner is the text inside name(...) within s, "" if absent.
func inner(s, name string) string {
	i := strings.Index(s, name+"(")
	if i < 0 {
		return ""
	}
	s = s[i+len(name)+1:]
	depth := 1
	for j, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return s[:j]
			}
		}
	}
	return s
}

// param is the value of key=value among s's top-level parameters, or
// anywhere in s for a key nested deeper (vni inside header(...)).
func param(s, key string) string {
	for _, kv := range splitTop(s) {
		if v, ok := strings.CutPrefix(kv, key+"="); ok {
			return v
		}
	}
	for _, kv := range splitTop(s) {
		if _, args, ok := strings.Cut(kv, "("); ok {
			if v := param(strings.TrimSuffix(args, ")"), key); v != "" {
				return v
			}
		}
	}
	return ""
}

func vni(s string) uint32 {
	n, _ := strconv.ParseUint(s, 0, 32)
	return uint32(n)
}

func addr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil && s != ""
}

// dpPorts reads dpif/show for the datapath that holds bridge: each
// bridge's ports are "NAME OFPORT/DPPORT: (...)" under the datapath's
// line, and port numbers are per datapath.
func dpPorts(show, bridge string) map[int]string {
	var cur map[int]string
	var found map[int]string
	for _, l := range strings.Split(show, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 0:
		case !strings.HasPrefix(l, " "): // a datapath: "netdev@ovs-netdev: hit:87 missed:54"
			cur = map[int]string{}
		case !strings.HasPrefix(l, "    "): // a bridge: "  br1:"
			if f[0] == bridge+":" {
				found = cur
			}
		case len(f) >= 2 && cur != nil:
			_, dp, ok := strings.Cut(strings.TrimSuffix(f[1], ":"), "/")
			if n, err := strconv.Atoi(dp); ok && err == nil {
				if _, taken := cur[n]; !taken {
					cur[n] = f[0]
				}
			}
		}
	}
	return found
}
