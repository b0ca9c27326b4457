package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ovslab/ovslab/trace"
	"github.com/spf13/cobra"
)

func newTrace() *cobra.Command {
	var o trace.Options
	var output string
	var all bool
	c := &cobra.Command{
		Use:   "trace LAB|FILE FROM TO [--size N] [--proto icmp|udp:PORT|tcp:PORT] [-o text|json] [--all]",
		Short: "Explain the path from FROM to TO hop by hop, and name the first hop that breaks with its cause and fix",
		Long: `trace walks the path a packet from FROM to TO takes, as the kernel and
Open vSwitch would take it, and prints one line per hop with the object
and the fact that decides it: the route, address and neighbour entry
inside the sender, the host end of its veth (up, MTU, qdisc), the OVS port
(tag, trunks) and what ofproto/trace says the bridge does with the frame,
the tunnel (key, remote_ip), the underlay route and every underlay link's
MTU against the packet in VXLAN (its size + 50), the router, the remote
host's tunnel with the same key and its bridge, the destination's port,
veth and address; through a gateway, ip_forward, the FORWARD rules and
MASQUERADE; then the way back. It reads state and sends no traffic.

FROM and TO are as in expect:: FROM a container or a host with a host
port, TO a container, NODE.NETWORK, a host with a host port, an IPv4
address or wan. --size is the IP packet's size, sent with Don't Fragment
(default: the sender's MTU, a full-size packet). The first hop that breaks
is named with its cause and a fix; exit 1 when the path is broken.
-o json prints the result for machines (docs/trace.md).` + allHelp + ` LAB is then
FILE, or the lab's name once up --all brought it up from this machine;
only the hosts on the path are reached.`,
		Args: exactArgs(3),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if _, _, err := trace.ParseProto(o.Proto); err != nil {
				return usageError{err}
			}
			if o.Size != 0 && (o.Size < 68 || o.Size > 65535) {
				return usageError{fmt.Errorf("--size %d: want an IP packet size of 68..65535 bytes", o.Size)}
			}
			lab, from, to := args[0], args[1], args[2]
			if all {
				res, err := traceAll(c.Context(), lab, from, to, o)
				if err != nil {
					return err
				}
				return reportTrace(res, output)
			}
			if err := ovsdbFits(lab, o.OVSDB); err != nil {
				return err
			}
			if err := requireRootIfHere(c, lab, readsMachine); err != nil {
				return err
			}
			o.Progress = progress
			res, err := trace.Run(c.Context(), lab, from, to, o)
			if err != nil {
				return err
			}
			return reportTrace(res, output)
		},
	}
	c.Flags().IntVar(&o.Size, "size", 0, "IP packet size in bytes, Don't Fragment (default: the sender's MTU)")
	c.Flags().StringVar(&o.Proto, "proto", "icmp", "icmp, udp:PORT or tcp:PORT")
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint (real hosts)")
	c.Flags().BoolVar(&all, "all", false, "trace the hosts on the path from this machine, over SSH")
	return c
}

// reportTrace prints a trace as asked; a broken path is exit 1.
func reportTrace(res *trace.Result, output string) error {
	var err error
	if output == "json" {
		err = writeJSON(os.Stdout, res)
	} else {
		printTrace(os.Stdout, res)
	}
	if err == nil && res.Verdict == trace.VerdictBroken {
		return exitError{exitFail}
	}
	return err
}

func printTrace(w io.Writer, res *trace.Result) {
	fmt.Fprintf(w, "trace %s: %s -> %s (%s -> %s, %s, %d bytes, Don't Fragment)\n", res.Lab, res.From, res.To, res.Src, res.Dst, res.Proto, res.Size)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	dir := ""
	for i, h := range res.Hops {
		way := ""
		if h.Dir != dir {
			dir, way = h.Dir, h.Dir
		}
		mark := ""
		switch h.Status {
		case trace.StatusBroken:
			mark = "BROKEN"
		case trace.StatusWarn:
			mark = "warn"
		case trace.StatusUnseen:
			mark = "unseen"
		}
		fact := h.Fact
		if h.Status == trace.StatusBroken {
			fact = h.Cause
		}
		fmt.Fprintf(tw, "%s\t%3d\t%s\t%s\t%s\t%s\t%s\n", way, i+1, h.Node, h.Kind, h.Object, mark, fact)
		if h.Status == trace.StatusWarn && h.Cause != "" {
			fmt.Fprintf(tw, "\t\t\t\t\t\t  %s\n", h.Cause)
		}
	}
	tw.Flush()
	fmt.Fprintf(w, "%s\n", res.Summary())
	if h := res.First(); h != nil && h.Fix != nil {
		printFix(w, res.Lab, h.Fix)
	}
}

// printFix shows a fix: its words, and its commands as the student runs
// them in the node's shell, or from this machine with ovslab exec.
func printFix(w io.Writer, lab string, f *trace.Fix) {
	fmt.Fprintf(w, "fix: %s\n", f.Text)
	if len(f.Commands) == 0 {
		return
	}
	fmt.Fprintf(w, "  on %s:\n", f.On)
	for _, cmd := range f.Commands {
		fmt.Fprintf(w, "    %s\n", cmd)
	}
	script := strings.Join(f.Commands, "; ")
	if f.Docker != "" {
		// A container's own shell may not change its network (no CAP_NET_ADMIN).
		fmt.Fprintf(w, "  from this machine: nsenter -t \"$(docker inspect -f '{{.State.Pid}}' %s)\" -n sh -c '%s'\n", f.Docker, script)
		return
	}
	fmt.Fprintf(w, "  from this machine: ovslab exec %s %s -- sh -c '%s'\n", lab, f.On, script)
}
