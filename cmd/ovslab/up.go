package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
)

func newUp() *cobra.Command {
	var o labs.UpOptions
	var all bool
	var name string
	c := &cobra.Command{
		Use:   "up [FILE|LAB] [--host H] [--emulate] [--all]",
		Short: "Converge this machine to the lab; safe to repeat",
		Long: `up builds the lab, or repairs it, so that this machine matches the file.

With --emulate the whole lab is built on this machine: a network namespace
per host with its own ovsdb-server and ovs-vswitchd, a router namespace and
an emulated WAN. Without it, this machine applies only its own host's part
(found by --host or by its underlay address), using the OVSDB at --ovsdb,
$OVS_RUNDIR/db.sock or /var/run/openvswitch/db.sock, and Docker through
DOCKER_HOST. Without FILE it reads ./topology.yaml.

--name NAME brings up a copy of the lab under another name, with the same
addresses: several copies (one per student) run side by side on one
emulating machine and never see each other. A copy's namespaces are
NAME-HOST, its Docker containers NAME-NODE; exec, check and capture still
take the node names (ovslab exec NAME doc1 -- ...).

Before changing anything, --all checks on every host that it answers over
SSH, reaches OVSDB and Docker, has the datapath the file asks for, and has
no bridge or container of someone else's with a name the lab needs; one
failing host leaves every host unchanged. After up it sends a Don't-Fragment
packet of underlay.mtu bytes from every host to every other, naming the hop
where a path too small for VXLAN breaks.` + allHelp,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			for _, flag := range []struct{ other, why string }{
				{"host", "--emulate builds every host of the lab on this machine, --host makes this machine one of them; drop one (plan --emulate --host H shows one emulated host's part)"},
				{"ovsdb", "an emulated lab runs its own OVSDB per host under /run/ovslab/LAB/HOST; --ovsdb is for real hosts"},
			} {
				if err := contradicts(c, "emulate", flag.other, flag.why); err != nil {
					return err
				}
			}
			if all {
				if err := upAllFits(o); err != nil {
					return err
				}
				src, err := allSource(args)
				if err != nil {
					return err
				}
				return upAll(c.Context(), src, o)
			}
			listed := prefetchContainers(c.Context())
			file := defaultFile
			if len(args) == 1 {
				file = args[0]
			}
			src, err := resolveArg(file, name)
			if err != nil {
				return err
			}
			warn(src)
			if err := requireRoot(c, changesMachine); err != nil {
				return err
			}
			o.Listed = listed
			o.Progress, o.Note = progress, note
			start := time.Now()
			var did labs.UpReport
			o.Done = func(r labs.UpReport) { did = r }
			if err := labs.Up(c.Context(), src, o); err != nil {
				return err
			}
			// What changed is the answer to "what did up do?": said even
			// when stderr is not a terminal.
			took := time.Since(start).Round(time.Millisecond)
			if did.Fresh {
				fmt.Fprintf(os.Stderr, "lab %s is up (%s); try: ovslab status %s\n", src.Topo.Name, took, src.Topo.Name)
			} else {
				fmt.Fprintf(os.Stderr, "lab %s is up (%s): %s\n", src.Topo.Name, took, did)
			}
			return nil
		},
	}
	f := c.Flags()
	f.BoolVar(&o.Emulate, "emulate", false, "build every host of the lab on this machine, in network namespaces")
	f.StringVar(&o.Host, "host", "", "the host this machine is (default: found by its underlay address)")
	f.StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint, e.g. unix:/var/run/openvswitch/db.sock")
	f.BoolVar(&o.NoWait, "no-wait", false, "fail at once if another up/down of the lab is running")
	f.IntVarP(&o.Jobs, "jobs", "j", 0, fmt.Sprintf("containers to create, start and plumb at once (default %d: from the CPU count)", labs.DefaultJobs()))
	f.StringVar(&o.Name, "name", "", "bring the lab up as a copy under this name (one per student: netns NAME-HOST, Docker names NAME-NODE)")
	f.BoolVar(&all, "all", false, "bring up every host of FILE from this machine, over SSH")
	f.StringVar(&name, "source-name", "", "where a topology on stdin (FILE -) came from")
	_ = f.MarkHidden("source-name")
	return c
}

// prefetchContainers asks Docker for its list of every container while
// up reads and plans the file: of an up that changes nothing, that list
// is the longest wait (a quarter of a second at 1000 containers, all of
// it dockerd's). Only a read, and up reads it where it would have
// listed: nothing changes, nor is any error said, before the file has
// been checked. nil (up lists for itself) unless root: up refuses others.
func prefetchContainers(ctx context.Context) *labs.ContainerList {
	if os.Geteuid() != 0 {
		return nil
	}
	return labs.ListContainers(ctx)
}

func newDown() *cobra.Command {
	var o labs.DownOptions
	var all bool
	c := &cobra.Command{
		Use:   "down [FILE|LAB] [--all]",
		Short: "Remove everything the lab created, and nothing else",
		Long: `down removes everything the lab created on this machine, and nothing else,
and restores what up changed (MTU, ip_forward, the underlay address moved
onto br-phy). A port you added by hand to one of the lab's bridges goes with
the bridge, as with ovs-vsctl del-br. Without an argument it takes the only
lab up on this machine (or, if none has state, the only one found by its
marks).` + allHelp + ` A host that does not answer is named
and the others still go down. A lab whose state is gone (a reboot, a
cleaned /run) or unreadable is removed by its marks: labelled containers,
marked OVSDB rows, commented iptables rules and marked namespaces.`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if all {
				src, err := allSource(args)
				if err != nil {
					return err
				}
				return downAll(c.Context(), src, o)
			}
			lab, err := labArgOr(args, func() []labs.Unrecorded {
				u, _ := labs.FindUnrecorded(c.Context(), o.Daemons)
				return u
			})
			if err != nil {
				return err
			}
			lab, err = labName(lab)
			if err != nil {
				return err
			}
			if err := ovsdbFits(lab, o.OVSDB); err != nil {
				return err
			}
			if err := requireRootIfHere(c, lab, changesMachine); err != nil {
				return err
			}
			o.Progress, o.Note = progress, note
			return labs.Down(c.Context(), lab, o)
		},
	}
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint (real hosts)")
	c.Flags().BoolVar(&o.NoWait, "no-wait", false, "fail at once if another up/down of the lab is running")
	c.Flags().BoolVar(&all, "all", false, "take down every host of FILE from this machine, over SSH")
	return c
}

// labName accepts a lab's name or a file (or built-in lab) naming it.
func labName(arg string) (string, error) {
	if _, err := labs.LoadState(arg); err == nil {
		return arg, nil
	}
	// A directory is never a topology file: "down ../etc" is a bad lab
	// name, not a file to read.
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		src, err := labs.Resolve(arg)
		if err != nil {
			return "", err
		}
		return src.Topo.Name, nil
	}
	if _, err := labs.Dir(arg); err != nil {
		return "", labs.Usagef("%v", err)
	}
	return arg, nil
}

// defaultFile is what up reads when given no file.
const defaultFile = "topology.yaml"

// labArg returns the lab named on the command line, or the only lab up on
// this machine.
func labArg(args []string) (string, error) {
	return labArgOr(args, nil)
}

// labArgOr is labArg that, when no lab has state here, also counts the
// labs found by their marks alone (after a reboot or a cleaned /run),
// as down can remove those.
func labArgOr(args []string, marked func() []labs.Unrecorded) (string, error) {
	if len(args) == 1 {
		return args[0], nil
	}
	names, err := labs.Labs()
	if err != nil {
		return "", err
	}
	if len(names) == 0 && marked != nil {
		for _, u := range marked() {
			names = append(names, u.Lab)
		}
	}
	switch len(names) {
	case 1:
		return names[0], nil
	case 0:
		return "", labs.Usagef("no lab is up on this machine; name one")
	default:
		return "", labs.Usagef("several labs are up here (%s); name one", strings.Join(names, ", "))
	}
}
