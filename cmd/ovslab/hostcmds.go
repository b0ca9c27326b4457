package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/trace"
	"github.com/spf13/cobra"
)

// The commands and flags in this file are how `--all` drives a host over
// SSH: the remote side is this same binary, so they are part of it, but a
// user never needs them (hence hidden). `version`, which names the copy
// a host needs, is in version.go.

// forceProgress makes progress print even when stderr is not a terminal:
// `--all` streams a host's progress back through a pipe.
var forceProgress bool

// resolveArg reads FILE|LAB, or the file on stdin for "-" (named name,
// the path on the machine that sent it).
func resolveArg(arg, name string) (*labs.Source, error) {
	if arg != "-" {
		return labs.Resolve(arg)
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return nil, fmt.Errorf("read the topology from stdin: %w", err)
	}
	if name == "" {
		name = "<stdin>"
	}
	return labs.FromData(name, data)
}

func newPreflight() *cobra.Command {
	var o labs.UpOptions
	var name string
	c := &cobra.Command{
		Use:    "preflight FILE|- [--host H]",
		Short:  "Check, changing nothing, that up can work on this host",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			src, err := resolveArg(args[0], name)
			if err != nil {
				return err
			}
			return labs.Preflight(c.Context(), src, o)
		},
	}
	c.Flags().StringVar(&o.Host, "host", "", "the host this machine is")
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint")
	c.Flags().StringVar(&name, "source-name", "", "where a topology on stdin came from")
	return c
}

func newUnderlayCheck() *cobra.Command {
	var output string
	c := &cobra.Command{
		Use:    "underlay-check LAB [-o json]",
		Short:  "Send a DF packet of underlay.mtu bytes to every other host's underlay address",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			res, err := check.Underlay(c.Context(), args[0])
			if err != nil {
				return err
			}
			rep := &check.Report{Lab: args[0], OK: true, Results: res}
			for _, r := range res {
				rep.OK = rep.OK && r.OK
			}
			if output == "json" {
				err = writeJSON(os.Stdout, rep)
			} else {
				printCheck(os.Stdout, rep, outputWidth(os.Stdout))
			}
			if err == nil && !rep.OK {
				return exitError{exitFail}
			}
			return err
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	return c
}

func newTracePart() *cobra.Command {
	var o trace.Options
	c := &cobra.Command{
		Use:    "trace-part -",
		Short:  "Walk a packet on this host from where trace --all hands it over (JSON on stdin and stdout)",
		Hidden: true,
		Args:   exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			var req trace.PartRequest
			if err := json.NewDecoder(io.LimitReader(os.Stdin, 1<<20)).Decode(&req); err != nil {
				return usageError{fmt.Errorf("trace-part: a request as JSON on stdin: %w", err)}
			}
			res, err := trace.RunPart(c.Context(), req, o)
			if err != nil {
				return err
			}
			return json.NewEncoder(os.Stdout).Encode(res)
		},
	}
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint")
	return c
}
