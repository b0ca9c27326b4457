package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/fleet"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
	"github.com/ovslab/ovslab/trace"
)

// allHelp is the part of each command's help about --all.
const allHelp = `

With --all, FILE's hosts are driven from this machine over SSH: each host's
hosts.H.ssh ([user@]address[:port], default root@ its underlay address),
keys from ssh-agent or ~/.ssh/id_*, host keys checked against
~/.ssh/known_hosts. ovslab copies itself to a host that lacks this version
(into /usr/local/lib/ovslab/) and runs the command there on every host at
once, each line of progress prefixed with the host. Once up --all has
brought a lab up, this machine remembers its file
($XDG_STATE_HOME/ovslab/fleet/, else ~/.local/state/ovslab/fleet/), and
every --all command takes the lab's name in place of FILE.`

// upAllFits refuses up's flags that contradict --all.
func upAllFits(o labs.UpOptions) error {
	if o.Emulate {
		return labs.Usagef("--all drives real hosts over SSH; --emulate builds the whole lab on this machine: use one or the other")
	}
	if o.Host != "" {
		return labs.Usagef("--all runs every host's part; --host picks one: use one or the other")
	}
	return nil
}

// allSource reads the file that names the hosts for --all: a file, else
// the lab of that name this machine brought up with up --all, else a
// built-in lab.
func allSource(args []string) (*labs.Source, error) {
	file := defaultFile
	if len(args) == 1 {
		file = args[0]
	}
	if _, err := os.Stat(file); err != nil && topology.ValidLabName(file) {
		switch src, err := fleet.Recall(file); {
		case err == nil:
			return src, nil
		case !errors.Is(err, fleet.ErrNotDriven):
			return nil, err
		}
	}
	src, err := labs.Resolve(file)
	if errors.Is(err, labs.ErrUsage) && topology.ValidLabName(file) {
		return nil, labs.Usagef("%s: no such file, no lab of that name brought up from this machine with up --all, and no built-in lab of that name (ovslab labs lists them)", file)
	}
	if err != nil {
		return nil, err
	}
	warn(src)
	return src, nil
}

// fleetRemote is how every --all command reaches the hosts: each host's
// messages stream to stderr, with its progress where ours shows.
func fleetRemote() fleet.Remote {
	return fleet.Remote{Stream: os.Stderr, RemoteProgress: forceProgress || isTerminal(os.Stderr)}
}

// printHosts prints one line per host: what happened there, or why not.
func printHosts(w io.Writer, hosts []fleet.Host, ok string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, h := range hosts {
		if h.Err != nil {
			fmt.Fprintf(tw, "%s\tFAIL\t%s\t%v\n", h.Name, h.SSH, h.Err)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", h.Name, ok, h.SSH)
		}
	}
	tw.Flush()
}

// hostsFailed is the error of a command whose report names each failed
// host: exit 1.
func hostsFailed(lab string, hosts []fleet.Host, fix string) error {
	bad := fleet.Failed(hosts)
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("lab %s: %d of %d hosts failed; %s", lab, len(bad), len(hosts), fix)
}

func upAll(ctx context.Context, src *labs.Source, o labs.UpOptions) error {
	start := time.Now()
	o.Progress = progress
	rep := fleet.Up(ctx, src, fleet.UpOptions{UpOptions: o, Remote: fleetRemote()})
	if rep.Refused {
		printHosts(os.Stdout, rep.Hosts, "ready")
		var errs []error
		for _, h := range fleet.Failed(rep.Hosts) {
			errs = append(errs, h.Err)
		}
		return fmt.Errorf("lab %s: nothing was changed on any host: %w", rep.Lab, errors.Join(errs...))
	}
	// Later --all commands take the lab's name, even where a host failed
	// (down --all LAB must still reach the others).
	if err := fleet.Remember(src); err != nil {
		note("warning: %v; later --all commands need the file, not the lab's name", err)
	}
	printHosts(os.Stdout, rep.Hosts, "up")
	printCheck(os.Stdout, rep.Underlay, outputWidth(os.Stdout))
	if err := hostsFailed(rep.Lab, rep.Hosts, "fix them and run up --all again"); err != nil {
		return err
	}
	if !rep.Underlay.OK {
		return exitError{exitFail}
	}
	if isTerminal(os.Stderr) {
		fmt.Fprintf(os.Stderr, "lab %s is up on %d hosts (%s); try: ovslab check --all %s\n", rep.Lab, len(rep.Hosts), time.Since(start).Round(time.Millisecond), src.Name)
	}
	return nil
}

func downAll(ctx context.Context, src *labs.Source, o labs.DownOptions) error {
	o.Progress = progress
	hosts := fleet.Down(ctx, src, fleet.DownOptions{DownOptions: o, Remote: fleetRemote()})
	printHosts(os.Stdout, hosts, "down")
	if err := hostsFailed(src.Topo.Name, hosts, "run down --all again once they answer"); err != nil {
		return err
	}
	return fleet.Forget(src.Topo.Name)
}

func statusAll(ctx context.Context, src *labs.Source, o labs.StatusOptions, output string) error {
	o.Progress = progress
	s := fleet.GetStatus(ctx, src, fleet.StatusOptions{StatusOptions: o, Remote: fleetRemote()})
	if output == "json" {
		if err := writeJSON(os.Stdout, s); err != nil {
			return err
		}
	} else {
		printStatus(os.Stdout, s.Status)
		for _, h := range src.Topo.Hosts {
			if msg, ok := s.Errors[h.Name]; ok {
				fmt.Fprintf(os.Stdout, "\nhost %s  [FAIL]\n  %s\n", h.Name, msg)
			}
		}
	}
	if len(s.Errors) > 0 {
		return exitError{exitFail}
	}
	return nil
}

func checkAll(ctx context.Context, src *labs.Source, o check.Options, output string) error {
	o.Progress = progress
	return reportCheck(fleet.Check(ctx, src, fleet.CheckOptions{Options: o, Remote: fleetRemote()}), output)
}

// traceAll traces a path of a real-host lab on the hosts it crosses.
func traceAll(ctx context.Context, lab, from, to string, o trace.Options) (*trace.Result, error) {
	if st, err := labs.LoadState(lab); err == nil && st.Mode == labs.ModeEmulated {
		return nil, labs.Usagef("lab %s is emulated on this machine, which reads all of it: drop --all", lab)
	}
	src, err := allSource([]string{lab})
	if err != nil {
		return nil, err
	}
	o.Progress = progress
	return fleet.Trace(ctx, src, from, to, fleet.TraceOptions{Options: o, Remote: fleetRemote()})
}
