package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
	"github.com/spf13/cobra"
)

func newValidate() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE|LAB",
		Short: "Check a topology file and print every problem with its line",
		Long: `validate reads a topology file (or a built-in lab) and reports every
problem at once, each as FILE:LINE:COLUMN: FIELD: MESSAGE. It changes
nothing on the machine. Exit 0 when the file is valid, 2 when it is not.`,
		Args: exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			src, err := labs.Resolve(args[0])
			if err != nil {
				return err
			}
			warn(src)
			if isTerminal(os.Stdout) {
				t := src.Topo
				fmt.Printf("%s: lab %s is valid: %d hosts, %d networks, %d containers\n",
					src.Name, t.Name, len(t.Hosts), len(t.Networks), len(t.Containers))
			}
			return nil
		},
	}
}

func newPlan() *cobra.Command {
	var host, output string
	var emulate bool
	c := &cobra.Command{
		Use:   "plan FILE|LAB [--host H] [--emulate] [-o json]",
		Short: "Show what up would create on each host, without touching the machine",
		Args:  exactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			src, err := labs.Resolve(args[0])
			if err != nil {
				return err
			}
			if emulate {
				src.Topo.ForEmulation(labs.KernelDatapath())
			}
			hosts := src.Topo.HostNames()
			if host != "" {
				hosts = []string{host}
			}
			var plans []*topology.HostPlan
			for _, h := range hosts {
				p, err := src.Topo.Plan(h)
				if err != nil {
					return labs.Usagef("%v", err)
				}
				plans = append(plans, p)
			}
			if output == "json" {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(plans)
			}
			for i, p := range plans {
				if i > 0 {
					fmt.Println()
				}
				fmt.Print(p.Text())
			}
			return nil
		},
	}
	c.Flags().StringVar(&host, "host", "", "plan only this host")
	c.Flags().BoolVar(&emulate, "emulate", false, "plan as up --emulate would build it (kernel datapath where the openvswitch module loads, else netdev with br-phy)")
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	return c
}

func newLabs() *cobra.Command {
	var yaml bool
	c := &cobra.Command{
		Use:   "labs [LAB] [--yaml]",
		Short: "List the built-in labs, or print one lab's README or topology file",
		Long: `labs lists the built-in labs. With LAB it prints that lab's walkthrough
and, for an exercise, its stages with their texts; with LAB --yaml it prints the lab's topology file instead, to save, edit and
bring up as your own:

  ovslab labs l3-vxlan --yaml > topology.yaml
  ovslab up --emulate topology.yaml`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				if yaml {
					return labs.Usagef("--yaml needs a LAB: ovslab labs LAB --yaml")
				}
				for _, n := range catalog.Names() {
					fmt.Printf("%-16s %s\n", n, catalog.Describe(n))
				}
				return nil
			}
			if yaml {
				data, ok := catalog.Get(args[0])
				if !ok {
					return labs.Usagef("no built-in lab %q (ovslab labs lists them)", args[0])
				}
				_, err := os.Stdout.Write(data)
				return err
			}
			r, ok := catalog.README(args[0])
			if !ok {
				return labs.Usagef("no built-in lab %q (ovslab labs lists them)", args[0])
			}
			fmt.Print(r)
			printCatalogStages(os.Stdout, args[0])
			return nil
		},
	}
	c.Flags().BoolVar(&yaml, "yaml", false, "print the lab's topology file instead of its README")
	return c
}

// warn prints the topology's warnings to stderr: valid, but probably not
// what the user wants.
func warn(src *labs.Source) {
	for _, w := range src.Topo.Warnings() {
		fmt.Fprintln(os.Stderr, "warning:", w)
	}
}
