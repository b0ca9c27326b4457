package main

import (
	"errors"
	"os"

	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newExec() *cobra.Command {
	return &cobra.Command{
		Use:   "exec LAB NODE -- CMD [ARG...]",
		Short: "Run a command in a container or an emulated host",
		Long: `exec runs CMD in NODE of LAB: inside a container (like docker exec), or,
for an emulated host, router or wan, in its network namespace. On an
emulated host OVS_RUNDIR is set, so "ovs-vsctl show" talks to that host's
OVS. The exit status is CMD's.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 3 {
				return usageError{errExecArgs}
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			// A terminal on both sides: the command gets a TTY (a shell shows
			// its prompt) and our terminal passes keys through raw.
			tty := term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd()))
			if tty {
				if old, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
					defer term.Restore(int(os.Stdin.Fd()), old)
				}
			}
			code, err := labs.Exec(c.Context(), args[0], args[1], args[2:], os.Stdin, os.Stdout, os.Stderr, tty)
			if err != nil {
				return err
			}
			if code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
}

var errExecArgs = errors.New("want LAB NODE -- CMD [ARG...]")
