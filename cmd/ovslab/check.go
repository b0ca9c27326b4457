package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/ovslab/ovslab/check"
	"github.com/spf13/cobra"
)

func newCheck() *cobra.Command {
	var o check.Options
	var output string
	var all bool
	c := &cobra.Command{
		Use:   "check [LAB] [--full] [-o text|json|junit] [--all [FILE|LAB]]",
		Short: "Test connectivity, path MTU, tunnel health and the file's expect: entries; exit 1 on any failure",
		Long: `check tests the lab with probes that grow linearly with it: every
container pings its gateway and one container on its own and on every
other host of each of its networks; a full-size (1500-byte) packet with
Don't Fragment crosses each pair of hosts on each network; one container
per host and NAT'd network reaches the emulated WAN, as does each NAT'd
gateway itself (so a lab without containers has its NAT checked too); an
ARP request from each network to every other goes unanswered; and every
VXLAN port must be open and protected. --full pings every pair instead. Then it grades every
entry of the topology file's expect: list, printing the entry's message
when it fails. Probes run in parallel; Ctrl-C stops them. Exit 0 when all
pass, 1 otherwise. Without LAB it checks the only lab up on this machine.

-o json prints the results for machines; -o junit prints JUnit XML for CI
(one test case per probe and per expectation).` + allHelp + ` Every host
runs its own probes, so cross-host paths are tested from both ends, and
every host sends a DF packet of underlay.mtu bytes to every other; the
results are one report.`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			// junit is check's own format; the other commands have text and json.
			if output != "junit" && checkOutput(output) != nil {
				return usageError{fmt.Errorf("-o %s: want text, json or junit", output)}
			}
			if all {
				src, err := allSource(args)
				if err != nil {
					return err
				}
				return checkAll(c.Context(), src, o, output)
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
			if o.Full {
				// The whole matrix of a large lab is most of the heap and
				// lives to the end: less headroom costs a few collections
				// and saved 40% of the peak at 1000 containers.
				debug.SetGCPercent(25)
			}
			rep, err := check.Run(c.Context(), lab, o)
			if err != nil {
				return err
			}
			return reportCheck(rep, output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text, json or junit")
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint (real hosts)")
	c.Flags().BoolVar(&o.Full, "full", false, "probe every pair of containers, not the linear sample")
	c.Flags().BoolVar(&all, "all", false, "check every host of FILE from this machine, over SSH")
	return c
}

// printCheck writes the stage graded, if any, then one result a line, in
// columns that fit width (see printRows), and the author's message of a
// failed expectation below it.
func printCheck(out io.Writer, rep *check.Report, width int) {
	// A line a write would be a write per probe: most of a million for a
	// check --full of a thousand containers.
	w := bufio.NewWriter(out)
	defer w.Flush()
	if rep.Stage != "" {
		fmt.Fprintf(w, "lab %s, stage %s\n", rep.Lab, rep.Stage)
	}
	fail, skip := 0, 0
	rows := make([]row, 0, len(rep.Results))
	for _, r := range rep.Results {
		mark := "ok"
		switch {
		case r.Skipped:
			mark, skip = "skip", skip+1
		case !r.OK:
			mark, fail = "FAIL", fail+1
		}
		detail := r.Detail
		if r.Want != "" {
			detail = r.Want + ": " + detail
		}
		rw := row{cells: []string{mark, r.Kind, r.From + " -> " + r.To}, detail: detail}
		if !r.OK && r.Message != "" {
			// The lab author's words, under the result they explain.
			rw.notes = []string{r.Message}
		}
		if !r.OK && r.Path != nil {
			rw.notes = append(rw.notes, "explain: "+r.Path.Command(rep.Lab))
		}
		rows = append(rows, rw)
	}
	printRows(w, rows, width)
	skipped := ""
	if skip > 0 {
		skipped = fmt.Sprintf(" (%d skipped)", skip)
	}
	if fail == 0 {
		fmt.Fprintf(w, "lab %s: all %d checks passed%s\n", rep.Lab, len(rep.Results)-skip, skipped)
	} else {
		fmt.Fprintf(w, "lab %s: %d of %d checks FAILED%s\n", rep.Lab, fail, len(rep.Results)-skip, skipped)
	}
}

// reportCheck prints a check report as asked and turns a failed check into
// exit 1; check and check --all share it.
func reportCheck(rep *check.Report, output string) error {
	var err error
	switch output {
	case "json":
		err = writeJSON(os.Stdout, rep)
	case "junit":
		err = writeJUnit(os.Stdout, rep)
	default:
		printCheck(os.Stdout, rep, outputWidth(os.Stdout))
	}
	if err == nil && !rep.OK {
		return exitError{exitFail}
	}
	return err
}
