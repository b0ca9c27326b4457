package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"

	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
)

func newGraph() *cobra.Command {
	var format string
	c := &cobra.Command{
		Use:   "graph FILE|LAB [--format dot|mermaid|svg]",
		Short: "Draw the topology as a picture (Graphviz DOT, Mermaid or SVG)",
		Long: `graph prints the lab as a picture: hosts with their bridges, gateways and
containers, the VXLAN tunnels between bridges, and the underlay router.
svg needs Graphviz's dot (apt-get install graphviz).`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			src, err := labs.Resolve(args[0])
			if err != nil {
				return err
			}
			switch format {
			case "dot":
				fmt.Print(src.Topo.DOT())
			case "mermaid":
				fmt.Print(src.Topo.Mermaid())
			case "svg":
				dot, err := exec.LookPath("dot")
				if err != nil {
					return fmt.Errorf("--format svg needs Graphviz's dot: apt-get install graphviz, or use --format dot")
				}
				cmd := exec.Command(dot, "-Tsvg")
				cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewBufferString(src.Topo.DOT()), os.Stdout, os.Stderr
				return cmd.Run()
			default:
				return labs.Usagef("--format %s: want dot, mermaid or svg", format)
			}
			return nil
		},
	}
	c.Flags().StringVar(&format, "format", "dot", "dot, mermaid or svg")
	return c
}
