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
	c := &cobra.Command{
		Use:   "check [LAB] [--full] [-o json]",
		Short: "Test connectivity, path MTU and tunnel health; exit 1 on any failure",
		Long: `check tests the lab with probes that grow linearly with it: every
container pings its gateway and one container on its own and on every
other host of each of its networks; a full-size (1500-byte) packet with
Don't Fragment crosses each pair of hosts on each network; one container
per host and NAT'd network reaches the emulated WAN; and every VXLAN port
must be open and protected. --full pings every pair instead. Probes run in
parallel; Ctrl-C stops them. Exit 0 when all pass, 1 otherwise. Without
LAB it checks the only lab up on this machine.`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			lab, err := labArg(args)
			if err != nil {
				return err
			}
			if err := ovsdbFits(lab, o.OVSDB); err != nil {
				return err
			}
			if err := requireRootIfHere(c, lab, readsMachine+", and sends probes from inside the lab"); err != nil {
				return err
			}
			o.Progress = progress
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
	c.Flags().BoolVar(&o.Full, "full", false, "probe every pair of containers, not the linear sample")
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
