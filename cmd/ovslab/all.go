package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/ovslab/ovslab/labs"
)

// allHelp is the part of each command's help about --all.
const allHelp = `

With --all, FILE's hosts are driven from this machine over SSH: each host's
hosts.H.ssh ([user@]address[:port], default root@ its underlay address),
keys from ssh-agent or ~/.ssh/id_*, host keys checked against
~/.ssh/known_hosts. ovslab copies itself to a host that lacks this version
(into /usr/local/lib/ovslab/) and runs the command there on every host at
once, each line of progress prefixed with the host.`

// allSource reads the file that names the hosts for --all.
func allSource(args []string, o labs.Options) (*labs.Source, error) {
	if o.Emulate {
		return nil, labs.Usagef("--all drives real hosts over SSH; --emulate builds the whole lab on this machine: use one or the other")
	}
	if o.Host != "" {
		return nil, labs.Usagef("--all runs every host's part; --host picks one: use one or the other")
	}
	file := defaultFile
	if len(args) == 1 {
		file = args[0]
	}
	src, err := labs.Resolve(file)
	if err != nil {
		return nil, err
	}
	warn(src)
	return src, nil
}

// hostsFailed is the error of a command whose report already named each
// failed host: exit 1.
func hostsFailed(f *fleet) error {
	errs := f.failed()
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d hosts failed", len(errs), len(f.hosts))
}

// reportHosts prints one line per host: what happened there, or why not.
func reportHosts(w io.Writer, f *fleet, ok string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, h := range f.hosts {
		if err := f.err(h.Name); err != nil {
			fmt.Fprintf(tw, "%s\tFAIL\t%s\t%v\n", h.Name, h.SSH, err)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", h.Name, ok, h.SSH)
		}
	}
	tw.Flush()
}

func ovsdbArgs(o labs.Options) []string {
	if o.OVSDB == "" {
		return nil
	}
	return []string{"--ovsdb", o.OVSDB}
}

// upAll is `up --all`: preflight every host, and only if all pass, up
// on all of them at once, then the underlay between every pair of VTEPs.
func upAll(ctx context.Context, src *labs.Source, o labs.Options) error {
	start := time.Now()
	t := src.Topo
	f := openFleet(ctx, t)
	defer f.close()
	progress("preflight on %d hosts", len(t.Hosts))
	f.run(ctx, func(h string) []string {
		return append([]string{"preflight", "--host", h, "--source-name", src.Name, "-"}, ovsdbArgs(o)...)
	}, src.Data)
	if errs := f.failed(); len(errs) > 0 {
		reportHosts(os.Stdout, f, "ready")
		return fmt.Errorf("lab %s: nothing was changed on any host: %w", t.Name, errors.Join(errs...))
	}
	f.run(ctx, func(h string) []string {
		args := append([]string{"up", "--host", h, "--source-name", src.Name, "-"}, ovsdbArgs(o)...)
		if o.NoWait {
			args = append(args, "--no-wait")
		}
		return args
	}, src.Data)
	reportHosts(os.Stdout, f, "up")
	rep := underlayAll(ctx, f, t.Name)
	printCheck(os.Stdout, rep)
	if err := hostsFailed(f); err != nil {
		return fmt.Errorf("lab %s: %w; fix them and run up --all again", t.Name, err)
	}
	if !rep.OK {
		return exitError{exitFail}
	}
	if isTerminal(os.Stderr) {
		fmt.Fprintf(os.Stderr, "lab %s is up on %d hosts (%s); try: ovslab check --all %s\n", t.Name, len(t.Hosts), time.Since(start).Round(time.Millisecond), src.Name)
	}
	return nil
}

// underlayAll runs the underlay check on every host and merges it.
func underlayAll(ctx context.Context, f *fleet, lab string) *labs.CheckReport {
	rep := &labs.CheckReport{Lab: lab, OK: true}
	reported := map[string]bool{}
	for _, h := range f.hosts {
		reported[h.Name] = f.err(h.Name) != nil
	}
	outs := f.run(ctx, func(string) []string { return []string{"underlay-check", lab, "-o", "json"} }, nil, exitFail)
	mergeReports(f, rep, outs, reported)
	return rep
}

// mergeReports adds each host's JSON check report to rep, and a failed
// host result for each host that gave none, unless already reported.
func mergeReports(f *fleet, rep *labs.CheckReport, outs map[string][]byte, reported map[string]bool) {
	for _, h := range f.hosts {
		if reported[h.Name] {
			rep.OK = false
			continue
		}
		out, ok := outs[h.Name]
		var r labs.CheckReport
		if ok {
			if err := json.Unmarshal(out, &r); err != nil {
				f.fail(h.Name, fmt.Errorf("host %s: unreadable report: %w", h.Name, err))
				ok = false
			}
		}
		if !ok {
			rep.Results = append(rep.Results, labs.CheckResult{Kind: labs.CheckHost, From: h.Name, To: h.SSH.String(), Detail: errText(f.err(h.Name))})
			rep.OK = false
			continue
		}
		rep.Results = append(rep.Results, r.Results...)
		rep.OK = rep.OK && r.OK
	}
}

func errText(err error) string {
	if err == nil {
		return "no report"
	}
	return err.Error()
}

// downAll is `down --all`: down on every host that answers. A host that
// does not is named, and the others still go down.
func downAll(ctx context.Context, src *labs.Source, o labs.Options) error {
	f := openFleet(ctx, src.Topo)
	defer f.close()
	args := append([]string{"down", src.Topo.Name}, ovsdbArgs(o)...)
	if o.NoWait {
		args = append(args, "--no-wait")
	}
	f.run(ctx, func(string) []string { return args }, nil)
	reportHosts(os.Stdout, f, "down")
	if err := hostsFailed(f); err != nil {
		return fmt.Errorf("lab %s: %w; run down --all again once they answer", src.Topo.Name, err)
	}
	return nil
}

// allStatus is the status of every host, one labs.Status with all hosts,
// plus the hosts that could not say.
type allStatus struct {
	*labs.Status
	Errors map[string]string `json:"errors,omitempty"`
}

func statusAll(ctx context.Context, src *labs.Source, o labs.Options, output string) error {
	t := src.Topo
	f := openFleet(ctx, t)
	defer f.close()
	outs := f.run(ctx, func(string) []string {
		return append([]string{"status", t.Name, "-o", "json"}, ovsdbArgs(o)...)
	}, nil)
	all := allStatus{Status: &labs.Status{Lab: t.Name, Mode: labs.ModeReal, Source: src.Name, Complete: true}}
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
	if output == "json" {
		if err := writeJSON(os.Stdout, all); err != nil {
			return err
		}
	} else {
		printStatus(os.Stdout, all.Status)
		for _, h := range t.Hosts {
			if msg, ok := all.Errors[h.Name]; ok {
				fmt.Fprintf(os.Stdout, "\nhost %s  [FAIL]\n  %s\n", h.Name, msg)
			}
		}
	}
	if len(all.Errors) > 0 {
		return exitError{exitFail}
	}
	return nil
}

// checkAll is `check --all`: every host's own check (its containers'
// probes, its tunnels) and the underlay from every host to every other,
// merged into one report.
func checkAll(ctx context.Context, src *labs.Source, o labs.Options, output string) error {
	t := src.Topo
	f := openFleet(ctx, t)
	defer f.close()
	outs := f.run(ctx, func(string) []string {
		return append([]string{"check", t.Name, "-o", "json"}, ovsdbArgs(o)...)
	}, nil, exitFail)
	rep := &labs.CheckReport{Lab: t.Name, OK: true}
	mergeReports(f, rep, outs, nil)
	u := underlayAll(ctx, f, t.Name)
	rep.Results = append(rep.Results, u.Results...)
	rep.OK = rep.OK && u.OK
	var err error
	if output == "json" {
		err = writeJSON(os.Stdout, rep)
	} else {
		printCheck(os.Stdout, rep)
	}
	if err == nil && !rep.OK {
		return exitError{exitFail}
	}
	return err
}
