package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/remote"
	"github.com/ovslab/ovslab/topology"
	"github.com/ovslab/ovslab/trace"
)

// TraceOptions are trace --all's: trace's own (--size, --proto, --ovsdb
// passed on) and how to reach the hosts.
type TraceOptions struct {
	trace.Options
	Remote
}

// Trace traces a path of a real-host lab from this machine: each host's
// part of the path runs on that host (ovslab trace-part), and only the
// hosts the path crosses are reached, each once.
func Trace(ctx context.Context, src *labs.Source, from, to string, o TraceOptions) (*trace.Result, error) {
	f := newFleet(nil, o.Remote, o.Progressf)
	defer f.close()
	o.Parts = &parts{f: f, t: src.Topo, ovsdb: o.OVSDB}
	return trace.RunSource(ctx, src, from, to, o.Options)
}

// parts runs hosts' parts of a path over SSH, dialling a host the first
// time the path reaches it.
type parts struct {
	f     *fleet
	t     *topology.Topology
	ovsdb string
}

// RunPart runs host's part of the path there.
func (p *parts) RunPart(ctx context.Context, host string, req trace.PartRequest) (*trace.PartResult, error) {
	i := slices.IndexFunc(p.t.Hosts, func(h topology.Host) bool { return h.Name == host })
	if i < 0 {
		return nil, fmt.Errorf("no host %s in the lab", host)
	}
	if err := p.f.err(host); err != nil {
		return nil, err
	}
	if _, ok := p.f.conns[host]; !ok {
		if err := p.f.dial(ctx, p.t.Hosts[i]); err != nil {
			return nil, err
		}
		p.f.hosts = append(p.f.hosts, p.t.Hosts[i])
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	argv := append([]string{p.f.bins[host], "trace-part", "-"}, ovsdbArgs(labs.Daemons{OVSDB: p.ovsdb})...)
	var stdout bytes.Buffer
	tail := &lastError{}
	lw := remote.NewLineWriter(p.f.remote.Stream, host+": ", &p.f.outMu)
	err = p.f.conns[host].Run(ctx, argv, bytes.NewReader(body), &stdout, io.MultiWriter(lw, tail))
	lw.Close()
	if err != nil {
		if msg := tail.message(); msg != "" {
			return nil, errors.New("host " + host + ": " + strings.TrimPrefix(msg, "host "+host+": "))
		}
		return nil, fmt.Errorf("host %s: %w", host, err)
	}
	var res trace.PartResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return nil, fmt.Errorf("host %s: unreadable part of the trace: %w", host, err)
	}
	return &res, nil
}
