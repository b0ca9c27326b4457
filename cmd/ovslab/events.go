package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
	"github.com/spf13/cobra"
)

func newEvents() *cobra.Command {
	var output string
	var last int
	c := &cobra.Command{
		Use:   "events [LAB|CLASS] [-o json] [--last N]",
		Short: "Print lifecycle, check and container events as they happen",
		Long: `events prints what happens to labs as it happens, from any process on
this machine: each step of up and down, each check's start and verdict,
and Docker's start, die and oom of their containers. Without an argument
it follows every lab here; with a lab's name, that lab (even one not up
yet); with the name of a class recorded here, every copy of the class.
It runs until Ctrl-C. --last N first prints up to N events already
logged. -o json prints one JSON object a line: time, lab, type and
fields (docs/events.md).`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if err := requireRoot(cmd, "reads the labs' event logs, which only root may"); err != nil {
				return err
			}
			o := labs.WatchOptions{Reporter: labs.Reporter{Note: note}, Last: last}
			var stream <-chan events.Event
			switch {
			case len(args) == 0:
				stream = labs.Watch(cmd.Context(), o)
			case isClass(args[0]):
				var err error
				if stream, err = class.Watch(cmd.Context(), args[0], o); err != nil {
					return err
				}
			case topology.ValidLabName(args[0]):
				lab := args[0]
				o.Match = func(l string) bool { return l == lab }
				stream = labs.Watch(cmd.Context(), o)
			default:
				return labs.Usagef("%q is not a lab's or a class's name", args[0])
			}
			return printEvents(os.Stdout, stream, output == "json")
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json (one object a line)")
	c.Flags().IntVar(&last, "last", 0, "first print up to N events already logged")
	return c
}

func isClass(name string) bool {
	_, err := class.Get(name)
	return err == nil
}

// printEvents prints every event until the stream ends (Ctrl-C), each
// as it comes: a line of JSON, or of text.
func printEvents(w io.Writer, stream <-chan events.Event, asJSON bool) error {
	enc := json.NewEncoder(w)
	for e := range stream {
		var err error
		if asJSON {
			err = enc.Encode(e)
		} else {
			_, err = fmt.Fprintln(w, eventText(e))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// eventText is an event as a line: the local time, the lab, the type,
// then the fields, a step's message alone.
func eventText(e events.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %s  %s", e.Time.Local().Format("15:04:05.000"), e.Lab, e.Type)
	if m, ok := e.Fields["message"].(string); ok && len(e.Fields) == 1 {
		return b.String() + "  " + m
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s=%v", k, e.Fields[k])
	}
	return b.String()
}
