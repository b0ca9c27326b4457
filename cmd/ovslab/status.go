package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
	"github.com/spf13/cobra"
)

func newStatus() *cobra.Command {
	var o labs.StatusOptions
	var output string
	var all bool
	c := &cobra.Command{
		Use:   "status [LAB] [-o json] [--all [FILE|LAB]]",
		Short: "Show a lab's hosts, bridges, ports, tunnels, containers and NAT, each with its state",
		Long: `status shows what a lab has on this machine and the state of each object.
Without LAB it lists the labs that are up here.` + allHelp + ` All hosts are
shown as one lab; exit 1 if a host could not be asked.`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if all {
				src, err := allSource(args)
				if err != nil {
					return err
				}
				return statusAll(c.Context(), src, o, output)
			}
			if len(args) == 0 {
				if o.OVSDB != "" {
					return usageError{fmt.Errorf("--ovsdb %s needs a LAB: without one, status lists the labs up here", o.OVSDB)}
				}
				return listLabs(c.Context(), os.Stdout, output)
			}
			if err := ovsdbFits(args[0], o.OVSDB); err != nil {
				return err
			}
			if err := requireRootIfHere(c, args[0], readsMachine); err != nil {
				return err
			}
			s, err := labs.GetStatus(c.Context(), args[0], o)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(os.Stdout, s)
			}
			printStatus(os.Stdout, s)
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint (real hosts)")
	c.Flags().BoolVar(&all, "all", false, "ask every host of FILE from this machine, over SSH")
	return c
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func listLabs(ctx context.Context, w io.Writer, output string) error {
	rows, err := labs.List(ctx, labs.Daemons{})
	if err != nil {
		return err
	}
	if output == "json" {
		return writeJSON(w, rows)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "no labs are up on this machine")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LAB\tMODE\tSTATE\tHOSTS\tSTAGE")
	for _, r := range rows {
		state := upState(r.Complete)
		if r.NoState {
			state = labs.NoStateSource
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Lab, r.Mode, state, strings.Join(r.Hosts, ","), r.Stage)
	}
	return tw.Flush()
}

func upState(complete bool) string {
	if complete {
		return "up"
	}
	return "incomplete (run up again)"
}

func okWord(ok bool) string {
	if ok {
		return "ok"
	}
	return "FAIL"
}

func printStatus(w io.Writer, s *labs.Status) {
	if s.NoState {
		fmt.Fprintf(w, "lab %s: %s, %s\n", s.Lab, s.Mode, labs.NoStateSource)
	} else {
		fmt.Fprintf(w, "lab %s: %s, %s (from %s)\n", s.Lab, s.Mode, upState(s.Complete), s.Source)
	}
	if s.Stage != "" {
		fmt.Fprintf(w, "stage %s (ovslab stage %s tells more)\n", s.Stage, s.Lab)
	}
	for _, h := range s.Hosts {
		fmt.Fprintf(w, "\nhost %s  [%s]\n", h.Name, okWord(h.OK()))
		if h.Netns != "" {
			fmt.Fprintf(w, "  netns %s\n", h.Netns)
		}
		fmt.Fprintf(w, "  ovsdb %s: %s, ovs-vswitchd: %s, ip_forward: %v\n", h.OVSDB, upDown(h.OVSDBUp), upDown(h.VswitchdUp), h.IPForward)
		for _, p := range h.Problems {
			fmt.Fprintf(w, "  problem: %s\n", p)
		}
		for _, b := range h.Bridges {
			fmt.Fprintf(w, "  bridge %s (%s)\n", b.Name, b.Datapath)
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			for _, p := range b.Ports {
				fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\n", p.Name, portKind(p), portDetail(p), portState(p))
			}
			tw.Flush()
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, c := range h.Containers {
			name := c.Name
			if c.Docker != "" && c.Docker != c.Name {
				name += " (" + c.Docker + ")"
			}
			fmt.Fprintf(tw, "  container %s\t%s\t%s\t%s\n", name, c.Image, c.ID, c.State)
			for _, i := range c.Interfaces {
				fmt.Fprintf(tw, "    %s %s\ton %s\tveth %s\t%s%s\n", i.Name, i.Address, i.Network, i.HostVeth, linkDetail(i), okWord(i.OK)+problems(i.Problems))
			}
		}
		tw.Flush()
		for _, r := range h.NAT {
			fmt.Fprintf(w, "  iptables %s\n", r)
		}
	}
}

func upDown(b bool) string {
	if b {
		return "up"
	}
	return "DOWN"
}

func problems(p []string) string {
	if len(p) == 0 {
		return ""
	}
	return ": " + strings.Join(p, "; ")
}

func portKind(p labs.PortStatus) string {
	k := p.Type
	if k == "" {
		k = "system"
	}
	if p.Protected {
		k += ",protected"
	}
	return k
}

func portDetail(p labs.PortStatus) string {
	keys := make([]string, 0, len(p.Options))
	for k := range p.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+p.Options[k])
	}
	if p.MTU > 0 {
		parts = append(parts, fmt.Sprintf("mtu=%d", p.MTU))
	}
	if p.Tag > 0 {
		parts = append(parts, fmt.Sprintf("tag=%d", p.Tag))
	}
	if len(p.Trunks) > 0 {
		parts = append(parts, fmt.Sprintf("trunks=%v", p.Trunks))
	}
	return strings.Join(parts, " ")
}

// linkDetail is what a container interface has beyond its address: VLAN,
// MTU, and an impairment's qdisc.
func linkDetail(i labs.InterfaceStatus) string {
	var parts []string
	if i.VLAN > 0 {
		parts = append(parts, fmt.Sprintf("vlan %d", i.VLAN))
	}
	if i.MTU > 0 {
		parts = append(parts, fmt.Sprintf("mtu %d", i.MTU))
	}
	if i.Qdisc != "" && i.Qdisc != "none" {
		parts = append(parts, "qdisc "+i.Qdisc)
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", ") + "\t"
}

func portState(p labs.PortStatus) string {
	switch {
	case p.Error != "":
		return "FAIL: " + p.Error
	case p.OFPort == 0:
		return "not yet open"
	case p.Local && p.Name != topology.PhysBridge:
		return "bridge's own port" // unused by the lab: its link state does not matter
	case p.LinkState != "":
		return "link " + p.LinkState
	default:
		return "ok"
	}
}
