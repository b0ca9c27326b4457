package main

import (
	"fmt"
	"os"

	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
)

// requireRoot refuses a command that needs root before it tries anything,
// when not run as root. Without this the first step to fail would speak
// for itself ("cannot reach Docker", "permission denied" on a netns, an
// OVSDB reported down) and send the user after a daemon that is fine.
// why is what the command does that needs root.
func requireRoot(c *cobra.Command, why string) error {
	if os.Geteuid() == 0 {
		return nil
	}
	return usageError{fmt.Errorf("%s needs root: it %s; run it as root (sudo %s ...)", c.Name(), why, c.CommandPath())}
}

// requireRootIfHere is requireRoot for a command about one lab, once the
// lab is known to be here. A bad name or a lab that is not here is the
// answer whoever asks (a usage error for status and check, nothing to do
// for down); only a lab that is here needs root to be read or removed.
func requireRootIfHere(c *cobra.Command, lab, why string) error {
	dir, err := labs.Dir(lab)
	if err != nil {
		return nil // the command itself reports the bad name
	}
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	return requireRoot(c, why)
}

// What up, down, status and check do that needs root.
const (
	changesMachine = "changes network namespaces, Open vSwitch, Docker containers, iptables and sysctls"
	readsMachine   = "reads network namespaces, Open vSwitch, Docker and iptables"
)

// contradicts is a usage error naming both flags when a and b are both
// given; why says what each means, so the user knows which to drop.
func contradicts(c *cobra.Command, a, b, why string) error {
	if c.Flags().Changed(a) && c.Flags().Changed(b) {
		return usageError{fmt.Errorf("--%s and --%s contradict each other: %s", a, b, why)}
	}
	return nil
}

// ovsdbFits refuses --ovsdb for a lab that is up emulated here: each of
// its hosts has its own OVSDB, which ovslab finds by itself, so the flag
// would be silently ignored.
func ovsdbFits(lab, ovsdb string) error {
	if ovsdb == "" {
		return nil
	}
	st, err := labs.LoadState(lab)
	if err != nil || st.Mode != labs.ModeEmulated {
		return nil
	}
	return usageError{fmt.Errorf("--ovsdb %s contradicts lab %s, which is emulated: each of its hosts has its own OVSDB in %s; drop --ovsdb",
		ovsdb, lab, labs.HostRunDir(lab, "HOST"))}
}

// note prints an answer that is not progress (nothing to do, and why) to
// stderr, on a terminal or not: stdout stays what scripts parse, and the
// exit code says the rest.
func note(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
