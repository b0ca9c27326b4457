package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/remote"
)

// Remote is how every --all command reaches the hosts and shows what they
// say.
type Remote struct {
	SSH            remote.Config // where the user's keys and known_hosts are
	Stream         io.Writer     // each host's messages, lines prefixed "HOST: "
	RemoteProgress bool          // ask each host for its progress lines too
}

// UpOptions are up --all's: up's own knobs, passed to each host's up
// (--ovsdb, --jobs, --no-wait), its progress, and how to reach the hosts.
type UpOptions struct {
	labs.UpOptions
	Remote
}

// DownOptions are down --all's (--ovsdb and --no-wait passed on).
type DownOptions struct {
	labs.DownOptions
	Remote
}

// StatusOptions are status --all's (--ovsdb passed on).
type StatusOptions struct {
	labs.StatusOptions
	Remote
}

// CheckOptions are check --all's (--ovsdb and --full passed on).
type CheckOptions struct {
	check.Options
	Remote
}

// exitChecksFailed is the exit code of a check that ran and found
// failures: a report to merge, not a host failure.
const exitChecksFailed = 1

// Host is what became of one host.
type Host struct {
	Name string `json:"name"`
	SSH  string `json:"ssh"`
	Err  error  `json:"-"` // nil: the host did its part
}

func (f *fleet) outcome() []Host {
	out := make([]Host, len(f.hosts))
	for i, h := range f.hosts {
		out[i] = Host{Name: h.Name, SSH: h.SSH.String(), Err: f.err(h.Name)}
	}
	return out
}

// Failed returns the hosts with an error.
func Failed(hosts []Host) []Host {
	var out []Host
	for _, h := range hosts {
		if h.Err != nil {
			out = append(out, h)
		}
	}
	return out
}

// ovsdbArgs passes --ovsdb on to a host's ovslab.
func ovsdbArgs(d labs.Daemons) []string {
	if d.OVSDB == "" {
		return nil
	}
	return []string{"--ovsdb", d.OVSDB}
}

// UpReport is what `up --all` did.
type UpReport struct {
	Lab     string
	Refused bool // a host failed its preflight: no host was changed
	Hosts   []Host
	// Underlay is the DF check between every pair of VTEPs, run after
	// up; nil when refused.
	Underlay *check.Report
}

// Up runs the preflight on every host and, only if every host passes,
// up on all of them at once, then the underlay check from every host.
func Up(ctx context.Context, src *labs.Source, o UpOptions) *UpReport {
	t := src.Topo
	f := open(ctx, t, o.Remote, o.Progressf)
	defer f.close()
	f.progress("preflight on %d hosts", len(t.Hosts))
	// Hosts that did not connect are already failed; the preflight still
	// runs on the others, so one report names every problem at once.
	f.run(ctx, func(h string) []string {
		return append([]string{"preflight", "--host", h, "--source-name", src.Name, "-"}, ovsdbArgs(o.Daemons)...)
	}, src.Data)
	rep := &UpReport{Lab: t.Name}
	if len(f.failed()) > 0 {
		rep.Refused, rep.Hosts = true, f.outcome()
		return rep
	}
	f.run(ctx, func(h string) []string {
		args := append([]string{"up", "--host", h, "--source-name", src.Name, "-"}, ovsdbArgs(o.Daemons)...)
		if o.Jobs > 0 {
			args = append(args, "--jobs", strconv.Itoa(o.Jobs))
		}
		if o.NoWait {
			args = append(args, "--no-wait")
		}
		return args
	}, src.Data)
	rep.Hosts = f.outcome()
	rep.Underlay = f.underlay(ctx, t.Name)
	return rep
}

// Down runs down on every host that answers; one that does not is named
// and the others still go down.
func Down(ctx context.Context, src *labs.Source, o DownOptions) []Host {
	f := open(ctx, src.Topo, o.Remote, o.Progressf)
	defer f.close()
	args := append([]string{"down", src.Topo.Name}, ovsdbArgs(o.Daemons)...)
	if o.NoWait {
		args = append(args, "--no-wait")
	}
	f.run(ctx, func(string) []string { return args }, nil)
	return f.outcome()
}

// Status is every host's status as one lab, plus the hosts that could
// not say (host → error).
type Status struct {
	*labs.Status
	Errors map[string]string `json:"errors,omitempty"`
}

// GetStatus asks every host for its status of the lab.
func GetStatus(ctx context.Context, src *labs.Source, o StatusOptions) *Status {
	t := src.Topo
	f := open(ctx, t, o.Remote, o.Progressf)
	defer f.close()
	outs := f.run(ctx, func(string) []string {
		return append([]string{"status", t.Name, "-o", "json"}, ovsdbArgs(o.Daemons)...)
	}, nil)
	all := &Status{Status: &labs.Status{Lab: t.Name, Mode: labs.ModeReal, Source: src.Name, Complete: true}}
	for _, h := range t.Hosts {
		var s labs.Status
		if out, ok := outs[h.Name]; ok {
			if err := json.Unmarshal(out, &s); err != nil {
				f.fail(h.Name, fmt.Errorf("host %s: unreadable status: %w", h.Name, err))
			}
		}
		if err := f.err(h.Name); err != nil {
			if all.Errors == nil {
				all.Errors = map[string]string{}
			}
			all.Errors[h.Name] = err.Error()
			all.Complete = false
			continue
		}
		all.Hosts = append(all.Hosts, s.Hosts...)
		all.Complete = all.Complete && s.Complete
	}
	return all
}

// Check runs every host's own check (its containers' probes, its tunnels)
// and the underlay check from every host to every other, as one report.
func Check(ctx context.Context, src *labs.Source, o CheckOptions) *check.Report {
	t := src.Topo
	f := open(ctx, t, o.Remote, o.Progressf)
	defer f.close()
	outs := f.run(ctx, func(string) []string {
		args := append([]string{"check", t.Name, "-o", "json"}, ovsdbArgs(o.Daemons)...)
		if o.Full {
			args = append(args, "--full")
		}
		return args
	}, nil, exitChecksFailed)
	rep := &check.Report{Lab: t.Name, OK: true}
	f.merge(rep, outs, nil)
	u := f.underlay(ctx, t.Name)
	rep.Results = append(rep.Results, u.Results...)
	rep.OK = rep.OK && u.OK
	return rep
}

// underlay runs the underlay check on every host and merges it; hosts
// that failed before are not reported again.
func (f *fleet) underlay(ctx context.Context, lab string) *check.Report {
	rep := &check.Report{Lab: lab, OK: true}
	reported := map[string]bool{}
	for _, h := range f.hosts {
		reported[h.Name] = f.err(h.Name) != nil
	}
	outs := f.run(ctx, func(string) []string { return []string{"underlay-check", lab, "-o", "json"} }, nil, exitChecksFailed)
	f.merge(rep, outs, reported)
	return rep
}

// merge adds each host's JSON check report to rep, and a failed host
// result for each host that gave none, unless already reported.
func (f *fleet) merge(rep *check.Report, outs map[string][]byte, reported map[string]bool) {
	for _, h := range f.hosts {
		if reported[h.Name] {
			rep.OK = false
			continue
		}
		out, ok := outs[h.Name]
		var r check.Report
		if ok {
			if err := json.Unmarshal(out, &r); err != nil {
				f.fail(h.Name, fmt.Errorf("host %s: unreadable report: %w", h.Name, err))
				ok = false
			}
		}
		if !ok {
			detail := "no report"
			if err := f.err(h.Name); err != nil {
				detail = err.Error()
			}
			rep.Results = append(rep.Results, check.Result{Kind: check.KindHost, From: h.Name, To: h.SSH.String(), Detail: detail})
			rep.OK = false
			continue
		}
		for i := range r.Results {
			if r.Results[i].Path != nil {
				r.Results[i].Path.All = true // explained from here, as the check ran
			}
		}
		rep.Results = append(rep.Results, r.Results...)
		rep.OK = rep.OK && r.OK
		if rep.Stage == "" {
			rep.Stage = r.Stage // each host keeps its own; they move together with stage on each
		}
	}
}
