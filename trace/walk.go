package trace

import (
	"context"
	"fmt"
	"slices"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
)

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
	// routerChains are the router's iptables chains, read once.
	routerChains map[nat.ChainRef]*nat.Chain
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
