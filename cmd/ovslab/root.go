package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "ovslab",
		Short: "Build multi-host container networks on Open vSwitch from one file",
		Long: `ovslab builds multi-host container networks on Open vSwitch.

One YAML file describes Docker hosts in different L3 subnets, the container
networks stretched across them with VXLAN, and the containers. "ovslab up"
builds it on real hosts (each applies its own part) or the whole lab on
this machine with --emulate.

Exit codes: 0 success, 1 a check or apply failed, 2 bad usage or bad file.`,
		SilenceUsage:               true,
		SilenceErrors:              true,
		SuggestionsMinimumDistance: 2,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	})
	commandGroup(root)
	root.AddCommand(newValidate(), newPlan(), newLabs(), newUp(), newDown(), newStatus(), newCheck(), newExec(), newCapture(), newGraph(),
		newVersion(), newPreflight(), newUnderlayCheck(), newTrace(), newTracePart(), newStage(), newReset(), newFlapper())
	root.AddCommand(newClass(), newEvents(), newServe())
	root.PersistentFlags().BoolVar(&forceProgress, "progress", false, "print progress even when stderr is not a terminal")
	_ = root.PersistentFlags().MarkHidden("progress")
	return root
}

// exactArgs is cobra.ExactArgs with exit code 2.
func exactArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(c, args); err != nil {
			return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
		}
		return nil
	}
}

// maxArgs is cobra.MaximumNArgs with exit code 2.
func maxArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := cobra.MaximumNArgs(n)(c, args); err != nil {
			return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
		}
		return nil
	}
}

// isTerminal reports whether f is a terminal: progress and summaries go
// there, never into pipes that scripts read.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// progress prints a step to stderr when it is a terminal.
func progress(format string, args ...any) {
	switch {
	case timings:
		// Per-phase timings for benchmarks: when each step began.
		fmt.Fprintf(os.Stderr, "%7.3fs "+format+"\n", append([]any{time.Since(started).Seconds()}, args...)...)
	case forceProgress || isTerminal(os.Stderr):
		fmt.Fprintf(os.Stderr, "· "+format+"\n", args...)
	}
}

// OVSLAB_TIMINGS=1 prints progress with the seconds since the start.
var (
	timings = os.Getenv("OVSLAB_TIMINGS") != ""
	started = time.Now()
)

// checkOutput validates -o.
func checkOutput(o string) error {
	if o != "" && o != "text" && o != "json" {
		return usageError{fmt.Errorf("-o %s: want text or json", o)}
	}
	return nil
}

// commandGroup makes c a command whose words are subcommands. Without
// Args cobra reports an unknown subcommand as a plain error (exit 1); a
// mistyped one is bad usage (exit 2). Args makes cobra hand the word to
// us, which needs a RunE; the bare command prints its help.
func commandGroup(c *cobra.Command) {
	c.Args = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q (see %s --help)", args[0], c.CommandPath())
		if s := c.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError{errors.New(msg)}
	}
	c.RunE = func(c *cobra.Command, args []string) error { return c.Help() }
}
