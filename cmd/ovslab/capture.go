package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/ovslab/ovslab/internal/userfile"
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
			var out *lazyFile
			if file != "" && file != "-" {
				out = &lazyFile{path: file}
				w = out
			}
			// Like tcpdump: what it listens on and the count go to stderr,
			// the stream stays pure pcap.
			fmt.Fprintf(os.Stderr, "capturing %s\n", cp.What)
			n, err := labs.Capture(c.Context(), cp, w, count)
			fmt.Fprintf(os.Stderr, "%d packets captured\n", n)
			if out != nil {
				err = errors.Join(err, out.Close())
			}
			return err
		},
	}
	c.Flags().StringVarP(&file, "write", "w", "", "write the pcap to FILE (- is stdout)")
	c.Flags().IntVarP(&count, "count", "c", 0, "stop after N frames (0: until Ctrl-C)")
	return c
}

// lazyFile creates its file on the first write, so a capture that cannot
// start (no such interface) leaves no empty file behind.
type lazyFile struct {
	path string
	f    *os.File
}

func (l *lazyFile) Write(b []byte) (int, error) {
	if l.f == nil {
		f, err := userfile.Create(l.path)
		if err != nil {
			return 0, err
		}
		l.f = f
	}
	return l.f.Write(b)
}

// Close closes the file if it was made; its error is a write that did not land.
func (l *lazyFile) Close() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
