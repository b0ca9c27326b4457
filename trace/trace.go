package trace

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
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

// PartRunner runs a host's part of a path where that host lives.
type PartRunner interface {
	RunPart(ctx context.Context, host string, req PartRequest) (*PartResult, error)
}

// PartRequest asks a host to walk a packet from a position on it until
// the packet leaves it. It travels as JSON (ovslab trace-part).
type PartRequest struct {
	Lab    string   `json:"lab"`
	Host   string   `json:"host"`
	Dir    string   `json:"dir"`
	At     Position `json:"at"`
	Packet Packet   `json:"packet"`
	Size   int      `json:"size"`
}

// PartResult is a host's part: its hops, and where the packet went next.
type PartResult struct {
	Hops   []Hop    `json:"hops"`
	Next   Position `json:"next"`
	Packet Packet   `json:"packet"`
}

// Position is where a packet is on its walk.
type Position struct {
	Kind     string     `json:"kind"`
	Node     string     `json:"node,omitempty"`  // posSend: the sender; posDone: the receiver
	Host     string     `json:"host,omitempty"`  // the host it is on
	Iface    string     `json:"iface,omitempty"` // posKernel: where it came in ("" = sent by the host); posPort: the OVS port it enters by
	From     netip.Addr `json:"from,omitzero"`   // posTunnel: the sending VTEP
	Key      uint32     `json:"key,omitempty"`   // posTunnel, posWire: the VXLAN key
	To       netip.Addr `json:"to,omitzero"`     // posWire: where the outer packet goes
	FromHost string     `json:"from_host,omitempty"`
	Tunnel   bool       `json:"tunnel,omitempty"` // posWire: a VXLAN packet rather than a plain one
}

// Position kinds.
const (
	posSend   = "send"   // Node sends the packet
	posKernel = "kernel" // the packet is in Host's IP stack
	posPort   = "port"   // the frame enters an OVS bridge of Host at Iface
	posTunnel = "tunnel" // the frame arrives at Host by VXLAN from From with Key
	posWire   = "wire"   // the packet leaves FromHost's NIC for To
	posUplink = "uplink" // a plain packet arrives at Host's underlay NIC
	posWAN    = "wan"    // the packet arrives at the emulated internet
	posWANOut = "wanout" // the emulated internet sends (a reply)
	posDone   = "done"   // delivered to Node
	posStop   = "stop"   // dropped, or lost from sight
)

// Packet is what travels, at L3 and, on a segment, at L2.
type Packet struct {
	Src   netip.Addr `json:"src"`
	Dst   netip.Addr `json:"dst"`
	Proto string     `json:"proto"`          // icmp, udp, tcp
	Port  int        `json:"port,omitempty"` // udp and tcp: the request's destination port
	Size  int        `json:"size"`
	Reply bool       `json:"reply,omitempty"`
	// On a segment: the frame's addresses and 802.1Q tag, and the L3
	// next hop whose station the frame is for.
	SrcMAC string     `json:"src_mac,omitempty"`
	DstMAC string     `json:"dst_mac,omitempty"`
	VLAN   int        `json:"vlan,omitempty"`
	NH     netip.Addr `json:"nh,omitzero"`
	// Ingress is the OVS port the frame entered the segment by, as
	// HOST/PORT: where its VLAN tag comes from.
	Ingress string `json:"ingress,omitempty"`
	// NAT is the MASQUERADE the request met, which its reply undoes.
	NAT *NATRecord `json:"nat,omitempty"`
}

// NATRecord is one MASQUERADE: at Host, source Orig became To.
type NATRecord struct {
	Host string     `json:"host"`
	Orig netip.Addr `json:"orig"`
	To   netip.Addr `json:"to"`
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

// dockerNames names the Docker container of each fix that runs in one.
func (w *walker) dockerNames(hops []Hop) {
	for i := range hops {
		if f := hops[i].Fix; f != nil && f.On != "" {
			if _, ok := w.t.ContainerByName(f.On); ok {
				f.Docker = w.t.DockerName(f.On)
			}
		}
	}
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

// reply is the packet that answers pkt, as it was when it arrived.
func reply(pkt Packet) Packet {
	return Packet{Src: pkt.Dst, Dst: pkt.Src, Proto: pkt.Proto, Port: pkt.Port, Size: pkt.Size, Reply: true, NAT: pkt.NAT}
}

// replyStart is where the answer to a packet delivered at end starts.
func (w *walker) replyStart(end Position, pkt Packet) Position {
	switch {
	case end.Node == "wan":
		return Position{Kind: posWANOut}
	case end.Host != "" && end.Node == end.Host:
		return Position{Kind: posKernel, Host: end.Host}
	}
	return Position{Kind: posSend, Node: end.Node, Host: end.Host}
}

// walker walks one packet through a lab, hop by hop.
type walker struct {
	ctx         context.Context
	st          *labs.State
	src         *labs.Source
	t           *topology.Topology
	o           Options
	dir         string
	hops        []Hop
	hosts       map[string]*hostView
	running     map[string]labs.Running
	allStations []station
	router      *nsutil.NS
}

func newWalker(ctx context.Context, st *labs.State, src *labs.Source, o Options) *walker {
	return &walker{ctx: ctx, st: st, src: src, t: src.Topo, o: o, hosts: map[string]*hostView{}, running: map[string]labs.Running{}}
}

func (w *walker) close() {
	for _, v := range w.hosts {
		v.close()
	}
	if w.router != nil {
		w.router.Close()
	}
}

// add records a hop on the current direction.
func (w *walker) add(h Hop) {
	h.Dir = w.dir
	if h.Status == "" {
		h.Status = StatusOK
	}
	w.hops = append(w.hops, h)
}

// broken records a broken hop and stops the walk there.
func (w *walker) broken(h Hop, cause string, fix *Fix) Position {
	h.Status, h.Cause, h.Fix = StatusBroken, cause, fix
	w.add(h)
	return Position{Kind: posStop}
}

// here reports whether host's part is read on this machine.
func (w *walker) here(host string) bool { return slices.Contains(w.st.Hosts, host) }

// maxSteps bounds a walk: a lab path has a few dozen hops at most.
const maxSteps = 64

// walk moves pkt from p until it is delivered or stops, and returns the
// last position and the packet as it was there.
func (w *walker) walk(p Position, pkt Packet) (Position, Packet) {
	for range maxSteps {
		if w.ctx.Err() != nil {
			return Position{Kind: posStop}, pkt
		}
		switch p.Kind {
		case posDone, posStop:
			return p, pkt
		case posWire, posWAN, posWANOut:
			p, pkt = w.step(p, pkt)
			continue
		}
		switch {
		case w.here(p.Host):
			p, pkt = w.part(p, pkt)
		case w.o.Parts != nil:
			res, err := w.o.Parts.RunPart(w.ctx, p.Host, PartRequest{Lab: w.st.Lab, Host: p.Host, Dir: w.dir, At: p, Packet: pkt, Size: w.o.Size})
			if err != nil {
				w.add(Hop{Node: p.Host, Kind: KindUnseen, Object: p.Host, Fact: "could not trace its part", Status: StatusUnseen, Cause: err.Error()})
				return Position{Kind: posStop}, pkt
			}
			for _, h := range res.Hops {
				w.add(h)
			}
			p, pkt = res.Next, res.Packet
		default:
			w.add(Hop{Node: p.Host, Kind: KindUnseen, Object: p.Host, Status: StatusUnseen,
				Fact: fmt.Sprintf("%s's part of the path is on another machine: ovslab trace --all %s reads it there", p.Host, w.st.Lab)})
			return Position{Kind: posStop}, pkt
		}
	}
	w.add(Hop{Node: p.Host, Kind: KindUnseen, Object: p.Kind, Status: StatusBroken, Cause: "the path loops: more than 64 hops"})
	return Position{Kind: posStop}, pkt
}

// part walks pkt on host p.Host until it leaves the host.
func (w *walker) part(p Position, pkt Packet) (Position, Packet) {
	host := p.Host
	for range maxSteps {
		p, pkt = w.step(p, pkt)
		if p.Host != host || p.Kind == posDone || p.Kind == posStop || p.Kind == posWire {
			break
		}
	}
	return p, pkt
}

// RunPart is the part of a path on host, for a machine that traces a
// path through it (ovslab trace --all): the request's walk from its
// position until the packet leaves the host.
func RunPart(ctx context.Context, req PartRequest, o Options) (*PartResult, error) {
	st, src, err := labs.Load(req.Lab)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(st.Hosts, req.Host) {
		return nil, fmt.Errorf("lab %s: host %s is not on this machine (it holds %v)", req.Lab, req.Host, st.Hosts)
	}
	o.Size = req.Size
	w := newWalker(ctx, st, src, o)
	defer w.close()
	w.dir = req.Dir
	next, pkt := w.part(req.At, req.Packet)
	return &PartResult{Hops: w.hops, Next: next, Packet: pkt}, nil
}

// step moves the packet one position.
func (w *walker) step(p Position, pkt Packet) (Position, Packet) {
	switch p.Kind {
	case posSend:
		return w.send(p, pkt)
	case posKernel:
		return w.kernel(p, pkt)
	case posPort:
		return w.bridge(p, pkt)
	case posTunnel:
		return w.tunnelIn(p, pkt)
	case posWire:
		return w.wire(p, pkt)
	case posUplink:
		return w.uplinkIn(p, pkt)
	case posWAN:
		return w.wanIn(p, pkt)
	case posWANOut:
		return w.wanOut(p, pkt)
	}
	return Position{Kind: posStop}, pkt
}
