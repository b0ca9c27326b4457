package trace

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/labs"
)

// Options are the knobs of a trace.
type Options struct {
	labs.Reporter
	labs.Daemons
	// Size is the IP packet's size in bytes, sent with Don't Fragment;
	// 0 is the largest the sender's interface sends (its MTU), the size
	// check's full-size probe uses.
	Size int
	// Proto is icmp (""), udp:PORT or tcp:PORT.
	Proto string
	// Parts runs the part of the path that lies on a host another machine
	// holds (trace --all); nil leaves such parts unseen.
	Parts PartRunner
}

// Run traces the path from from to to in lab, out and back, reading
// the hosts this machine holds (and, through o.Parts, the others).
func Run(ctx context.Context, lab, from, to string, o Options) (*Result, error) {
	st, src, err := labs.Load(lab)
	if err != nil {
		return nil, err
	}
	return run(ctx, st, src, from, to, o)
}

// RunSource traces a path of a real-host lab that this machine drives
// but holds no host of (trace --all): every host's part runs where the
// host is, through o.Parts.
func RunSource(ctx context.Context, src *labs.Source, from, to string, o Options) (*Result, error) {
	if o.Parts == nil {
		return nil, errors.New("trace of a lab with no host here needs a PartRunner")
	}
	st := &labs.State{Lab: src.Topo.Name, Mode: labs.ModeReal, Source: src.Name}
	return run(ctx, st, src, from, to, o)
}

func run(ctx context.Context, st *labs.State, src *labs.Source, from, to string, o Options) (*Result, error) {
	lab := st.Lab
	e, err := src.Topo.Endpoints(from, to)
	if err != nil {
		return nil, labs.Usagef("ovslab trace %s %s %s: %v", lab, from, to, err)
	}
	if e.WAN && st.Mode != labs.ModeEmulated {
		return nil, labs.Usagef("wan is the emulated internet: only labs up with --emulate have one; trace to an address instead")
	}
	proto, port, err := ParseProto(o.Proto)
	if err != nil {
		return nil, labs.Usagef("%v", err)
	}
	w := newWalker(ctx, st, src, o)
	defer w.close()
	res := &Result{Lab: lab, From: from, To: to, Dst: e.Dst.String(), Proto: o.Proto}
	if res.Proto == "" {
		res.Proto = "icmp"
	}
	pkt := Packet{Dst: e.Dst, Proto: proto, Port: port, Size: o.Size}
	start := Position{Kind: posSend, Node: from}
	if e.FromHost {
		start = Position{Kind: posKernel, Host: from}
	} else if c, ok := src.Topo.ContainerByName(from); ok {
		start.Host = c.Host
	}
	w.prefetch(from, e.Dst)
	pkt.Src, pkt.Size = w.sender(start, pkt)
	res.Src, res.Size = pkt.Src.String(), pkt.Size
	w.dir = DirOut
	end, last := w.walk(start, pkt)
	if end.Kind == posDone && ctx.Err() == nil {
		w.dir = DirBack
		w.walk(w.replyStart(end, last), reply(last))
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Hops = w.hops
	w.dockerNames(res.Hops)
	res.finish()
	return res, nil
}

// ParseProto reads --proto: icmp, udp:PORT or tcp:PORT.
func ParseProto(s string) (proto string, port int, err error) {
	if s == "" || s == "icmp" {
		return "icmp", 0, nil
	}
	p, ps, ok := strings.Cut(s, ":")
	n, perr := strconv.Atoi(ps)
	if !ok || (p != "udp" && p != "tcp") || perr != nil || n < 1 || n > 65535 {
		return "", 0, fmt.Errorf("--proto %s: want icmp, udp:PORT or tcp:PORT (PORT 1..65535)", s)
	}
	return p, n, nil
}
