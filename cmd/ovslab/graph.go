package main

import (
	"fmt"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/draw"
	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
)

func newGraph() *cobra.Command {
	var format string
	var withCheck bool
	c := &cobra.Command{
		Use:   "graph FILE|LAB [--format dot|mermaid|svg] [--check]",
		Short: "Draw the topology as a picture (Graphviz DOT, Mermaid or SVG)",
		Long: `graph prints the lab as a picture: hosts with their bridges, gateways and
containers, the VXLAN tunnels between bridges, and the underlay router.
SVG is laid out by ovslab itself: nothing to install. Host ports and a
tagged link's VLAN are drawn too.

With --check, LAB is a lab that is up here, drawn with its last
"ovslab check". In SVG each failure is marked red where its cause is (a
container's link, a tunnel, an underlay link whose MTU is too small for
VXLAN), with the count; green where every check across a part passed,
grey where no check tells. DOT and Mermaid colour every link and tunnel
by the checks that crossed it: green all passed, red all failed, orange
some.

  ovslab graph l3-vxlan --format svg > l3-vxlan.svg
  ovslab check l3-vxlan; ovslab graph l3-vxlan --check --format svg > check.svg`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if format != "dot" && format != "mermaid" && format != "svg" {
				return labs.Usagef("--format %s: want dot, mermaid or svg", format)
			}
			var src *labs.Source
			var o *draw.Overlay
			var err error
			if withCheck {
				src, o, err = check.Overlay(args[0])
			} else {
				src, err = graphSource(args[0])
			}
			if err != nil {
				return err
			}
			switch format {
			case "mermaid":
				_, err = fmt.Print(draw.Mermaid(src.Topo, o))
			case "svg":
				_, err = fmt.Print(draw.SVG(src.Topo, o))
			default:
				_, err = fmt.Print(draw.DOT(src.Topo, o))
			}
			return err
		},
	}
	c.Flags().StringVar(&format, "format", "dot", "dot, mermaid or svg")
	c.Flags().BoolVar(&withCheck, "check", false, "colour links and tunnels by the lab's last ovslab check")
	return c
}

// graphSource reads a file or built-in lab, else a lab that is up here
// (e.g. a copy made with up --name), as it was built.
func graphSource(arg string) (*labs.Source, error) {
	src, err := labs.Resolve(arg)
	if err == nil {
		return src, nil
	}
	if _, up, uerr := labs.Load(arg); uerr == nil {
		return up, nil
	}
	return nil, err
}
