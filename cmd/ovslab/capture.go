package main

import (
	"fmt"
	"io"
	"os"

	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
)

func newCapture() *cobra.Command {
	var file string
	var count int
	c := &cobra.Command{
		Use:   "capture LAB NODE[:IFACE] [-w FILE] [-c N]",
		Short: "Record a container's or a host's interface as a pcap file (tcpdump, Wireshark)",
		Long: `capture records the frames of one interface of a lab as pcap.

NODE is a container: its interface (default its first, e.g. doc1:eth1) is
captured on the host end of its veth, so the container needs no tools.
NODE is a host: its underlay NIC, where the VXLAN frames between hosts pass
with their keys (VNIs), or any interface of the host's namespace with
HOST:IFACE. Emulated labs also have router:HOST, router:wan and wan.

The pcap goes to -w FILE, or to stdout when it is a pipe or with -w -:

  ovslab capture l3-vxlan doc1 -c 10 -w doc1.pcap
  ovslab capture l3-vxlan host1 | tcpdump -nr -
  ovslab capture l3-vxlan host1 | wireshark -k -i -

It stops after -c N frames, or on Ctrl-C, leaving a complete file.`,
		Args: exactArgs(2),
		RunE: func(c *cobra.Command, args []string) error {
			if count < 0 {
				return usageError{fmt.Errorf("-c %d: want a number of frames, 0 for no limit", count)}
			}
			var w io.Writer = os.Stdout
			if file == "" || file == "-" {
				if isTerminal(os.Stdout) {
					return usageError{fmt.Errorf("not writing binary pcap to a terminal: use -w FILE, or pipe it (ovslab capture %s %s | tcpdump -nr -)", args[0], args[1])}
				}
			}
			cp, err := labs.FindCapturePoint(args[0], args[1])
			if err != nil {
				return err
			}
			if file != "" && file != "-" {
				f, err := os.Create(file)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			// Like tcpdump: what it listens on and the count go to stderr,
			// the stream stays pure pcap.
			fmt.Fprintf(os.Stderr, "capturing %s\n", cp.What)
			n, err := labs.Capture(c.Context(), cp, w, count)
			fmt.Fprintf(os.Stderr, "%d packets captured\n", n)
			if err != nil {
				return err
			}
			if f, ok := w.(*os.File); ok && f != os.Stdout {
				return f.Close()
			}
			return nil
		},
	}
	c.Flags().StringVarP(&file, "write", "w", "", "write the pcap to FILE (- is stdout)")
	c.Flags().IntVarP(&count, "count", "c", 0, "stop after N frames (0: until Ctrl-C)")
	return c
}
