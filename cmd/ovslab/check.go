package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
)

func newCheck() *cobra.Command {
	var o labs.Options
	var output string
	var all bool
	c := &cobra.Command{
		Use:   "check [LAB] [-o json] [--all FILE]",
		Short: "Test connectivity, path MTU and tunnel health; exit 1 on any failure",
		Long: `check pings every container from every other on each network and its
gateway, sends a full-size (1500-byte) packet with Don't Fragment across
each pair of hosts, reaches the emulated WAN through NAT, and checks that
every VXLAN port is open and protected. Exit 0 when all pass, 1 otherwise.
Without LAB it checks the only lab up on this machine.` + allHelp + ` Every host
runs its own probes, so cross-host paths are tested from both ends, and
every host sends a DF packet of underlay.mtu bytes to every other; the
results are one report.`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if all {
				src, err := allSource(args, o)
				if err != nil {
					return err
				}
				return checkAll(c.Context(), src, o, output)
			}
			lab, err := labArg(args)
			if err != nil {
				return err
			}
			rep, err := labs.RunCheck(c.Context(), lab, o)
			if err != nil {
				return err
			}
			if output == "json" {
				err = writeJSON(os.Stdout, rep)
			} else {
				printCheck(os.Stdout, rep)
			}
			if err == nil && !rep.OK {
				return exitError{exitFail}
			}
			return err
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint (real hosts)")
	c.Flags().BoolVar(&all, "all", false, "check every host of FILE from this machine, over SSH")
	return c
}

func printCheck(w io.Writer, rep *labs.CheckReport) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fail := 0
	for _, r := range rep.Results {
		mark := "ok"
		if !r.OK {
			mark, fail = "FAIL", fail+1
		}
		fmt.Fprintf(tw, "%s\t%s\t%s -> %s\t%s\n", mark, r.Kind, r.From, r.To, r.Detail)
	}
	tw.Flush()
	if fail == 0 {
		fmt.Fprintf(w, "lab %s: all %d checks passed\n", rep.Lab, len(rep.Results))
	} else {
		fmt.Fprintf(w, "lab %s: %d of %d checks FAILED\n", rep.Lab, fail, len(rep.Results))
	}
}
