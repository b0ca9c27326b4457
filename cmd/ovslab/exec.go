package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newExec() *cobra.Command {
	c := &cobra.Command{
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
	c.SetFlagErrorFunc(execFlagError)
	return c
}

// execFlagError explains an unknown flag after LAB NODE: without "--",
// the command's own flags (ping -c1) read as ovslab's.
func execFlagError(c *cobra.Command, err error) error {
	args := c.Flags().Args() // the words before the flag that failed
	if len(args) < 2 {
		return usageError{fmt.Errorf("%w (see %s --help)", err, c.CommandPath())}
	}
	cmd := strings.Join(args[2:], " ")
	if cmd == "" {
		cmd = "CMD"
	}
	return usageError{fmt.Errorf("%w: the command's flags are read as ovslab's; put -- before the command (ovslab exec %s -- %s ...)",
		err, strings.Join(args[:2], " "), cmd)}
}

var errExecArgs = errors.New("want LAB NODE -- CMD [ARG...]")
