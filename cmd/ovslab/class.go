package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/labs"
	"github.com/spf13/cobra"
)

func newClass() *cobra.Command {
	c := &cobra.Command{
		Use:   "class up|status|check|down|urls CLASS.yaml",
		Short: "A copy of one lab for every student of a class: up, status, check, down and URLs at once",
		Long: `class runs a classroom on this machine. A class file names the class,
the lab (a built-in lab or a topology file relative to the class file)
and the students, inline or in a roster file (one name a line, # starts
a comment):

    class: net101
    lab: l3-vxlan
    students: [alice, bob, carol]     # or: roster: students.txt

Every student gets a copy of the lab, emulated on this machine, named
CLASS-STUDENT: an ordinary lab that status, check, exec, capture and
graph take by that name. Instead of the file, status, check, down and
urls also take the name of a class recorded here (class up records it).`,
		SuggestionsMinimumDistance: 2,
	}
	commandGroup(c) // a mistyped subcommand is bad usage (exit 2), as at the top
	c.AddCommand(newClassUp(), newClassDown(), newClassStatus(), newClassCheck(), newClassURLs())
	return c
}

// classArg reads a class file, or the class recorded here under that name.
func classArg(arg string) (*class.Class, error) {
	if fi, err := os.Stat(arg); err == nil && !fi.IsDir() {
		return class.Load(arg)
	}
	c, err := class.Get(arg)
	if errors.Is(err, class.ErrNoClass) || errors.Is(err, labs.ErrUsage) {
		return nil, labs.Usagef("%s: no such class file, and no class of that name recorded here (ovslab class up FILE records one)", arg)
	}
	return c, err
}

// classAsRoot is classArg, then requireRoot: a bad class is the answer
// whoever asks, and only a good one needs root (why says what for).
func classAsRoot(cmd *cobra.Command, arg, why string) (*class.Class, error) {
	cl, err := classArg(arg)
	if err != nil {
		return nil, err
	}
	if err := requireRoot(cmd, why); err != nil {
		return nil, err
	}
	return cl, nil
}

func newClassUp() *cobra.Command {
	var o class.UpOptions
	var memAvailable uint64
	c := &cobra.Command{
		Use:   "up CLASS.yaml",
		Short: "Bring every student's copy up, at once; safe to repeat",
		Long: `up brings every student's copy of the lab up, emulated on this machine,
or converges the copies already up, as ovslab up does. The copies come up
at once (--parallel at a time) and share one pool of container work
(--jobs): they queue for dockerd together. Progress lines start with the
student's name; at the end a line per student says how their copy went.

Before changing anything, up refuses when the copies not up yet would not
fit in this machine's memory (an estimate per copy from its emulated hosts'
OVS daemons, its containers and namespaces, against MemAvailable), saying
both numbers, and when a copy's name is another class's copy or a lab up
here from another file. It records the class under /var/lib/ovslab/classes
(what ovslab serve shows, and what the URLs are made from), and takes down
the copies of students no longer in the file. Exit 1 if any copy failed.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := classAsRoot(cmd, args[0], changesMachine)
			if err != nil {
				return err
			}
			if memAvailable > 0 {
				o.Available = func() (uint64, error) { return memAvailable, nil }
			}
			o.Progress, o.Note = progress, note
			start := time.Now()
			res, err := class.Up(cmd.Context(), cl, o)
			if err != nil {
				return err
			}
			return reportResults(os.Stdout, cl, res, "up", time.Since(start))
		},
	}
	f := c.Flags()
	f.IntVarP(&o.Jobs, "jobs", "j", 0, fmt.Sprintf("containers created, started and plumbed at once, across all copies (default %d)", labs.DefaultJobs()))
	f.IntVar(&o.Parallel, "parallel", 0, fmt.Sprintf("copies brought up at once (default %d)", class.DefaultParallel()))
	f.BoolVar(&o.NoWait, "no-wait", false, "fail a copy at once if another up/down of it is running")
	f.Uint64Var(&memAvailable, "mem-available", 0, "bytes of memory to take as available instead of MemAvailable (tests)")
	_ = f.MarkHidden("mem-available")
	return c
}

func newClassDown() *cobra.Command {
	var o class.DownOptions
	c := &cobra.Command{
		Use:   "down CLASS.yaml|CLASS [--forget]",
		Short: "Take every student's copy down, and nothing else",
		Long: `down takes down the copy of every student of the class, and of every
student it was brought up with, as ovslab down does. The class stays
recorded, so its URLs work again when it comes back up; --forget also
removes the record and its secret: the URLs stop working for good and
ovslab serve no longer shows the class. Exit 1 if any copy failed.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cl, err := classAsRoot(cmd, args[0], changesMachine)
			if err != nil {
				return err
			}
			o.Progress, o.Note = progress, note
			start := time.Now()
			res, err := class.Down(cmd.Context(), cl, o)
			if err != nil {
				return err
			}
			return reportResults(os.Stdout, cl, res, "down", time.Since(start))
		},
	}
	c.Flags().BoolVar(&o.Forget, "forget", false, "also remove the class's record: its URLs stop working")
	c.Flags().IntVar(&o.Parallel, "parallel", 0, fmt.Sprintf("copies taken down at once (default %d)", class.DefaultParallel()))
	c.Flags().BoolVar(&o.NoWait, "no-wait", false, "fail a copy at once if another up/down of it is running")
	return c
}

// reportResults prints a line per copy and a summary; any failure is
// exit 1.
func reportResults(w io.Writer, cl *class.Class, res []class.Result, verb string, took time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range res {
		state := verb
		switch {
		case r.Err != nil:
			state = "FAILED: " + r.Err.Error()
		case r.Removed:
			state = "down (no longer in the class)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Student, r.Lab, state, r.Took.Round(100*time.Millisecond))
	}
	tw.Flush()
	failed := class.Failed(res)
	n := len(res) - countRemoved(res)
	if failed == 0 {
		fmt.Fprintf(w, "class %s: %d of %d copies %s (%s)\n", cl.Name, n, n, verb, took.Round(100*time.Millisecond))
		return nil
	}
	fmt.Fprintf(w, "class %s: %d of %d copies FAILED (%s)\n", cl.Name, failed, len(res), took.Round(100*time.Millisecond))
	return exitError{exitFail}
}

func countRemoved(res []class.Result) int {
	n := 0
	for _, r := range res {
		if r.Removed {
			n++
		}
	}
	return n
}

func newClassStatus() *cobra.Command {
	var o class.StatusOptions
	var output string
	c := &cobra.Command{
		Use:   "status CLASS.yaml|CLASS [-o json]",
		Short: "Every student's copy: up or down, and its last check",
		Long: `status reads every student's copy: up (every object as planned),
degraded (something is not: ovslab status LAB says what), incomplete (an
up is running or was cut short) or down, and the verdict of its last
check. -o json prints every copy's full status (as ovslab status -o json)
and last check.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			cl, err := classAsRoot(cmd, args[0], readsMachine)
			if err != nil {
				return err
			}
			o.Progress = progress
			sts, err := class.Status(cmd.Context(), cl, o)
			if err != nil {
				return err
			}
			if output == "json" {
				return writeJSON(os.Stdout, map[string]any{"class": cl.Name, "lab": cl.Lab.Name, "copies": sts})
			}
			printClassStatus(os.Stdout, cl, sts)
			return nil
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	c.Flags().IntVar(&o.Parallel, "parallel", 0, fmt.Sprintf("copies read at once (default %d)", class.DefaultParallel()))
	return c
}

func printClassStatus(w io.Writer, cl *class.Class, sts []class.CopyStatus) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STUDENT\tLAB\tSTATE\tLAST CHECK")
	up := 0
	for _, s := range sts {
		last := "-"
		if lc := s.LastCheck; lc != nil {
			verdict := "passed"
			if !lc.OK {
				verdict = strconv.Itoa(lc.Failed) + " FAILED"
			}
			last = fmt.Sprintf("%s, %d checks, %s", verdict, lc.Passed+lc.Failed, lc.At.Local().Format("15:04:05"))
		}
		state := s.State
		if s.Error != "" {
			state += " (" + s.Error + ")"
		}
		if s.State == class.StateUp {
			up++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Student, s.Lab, state, last)
	}
	tw.Flush()
	fmt.Fprintf(w, "class %s (%s): %d of %d copies up\n", cl.Name, cl.Lab.Name, up, len(sts))
}

func newClassURLs() *cobra.Command {
	var base, output string
	var rotate bool
	c := &cobra.Command{
		Use:   "urls CLASS.yaml|CLASS [--base URL] [-o json] [--rotate]",
		Short: "The teacher's URL and each student's, to hand out",
		Long: `urls prints the page of the teacher and of each student, BASE/?token=TOKEN
(BASE defaults to ` + class.DefaultBase + `, where ovslab serve listens;
give the address students reach it at). A student's URL opens their own
copy and nothing else; the teacher's opens every copy of the class. The
URLs stay the same across restarts and reboots; --rotate makes new ones,
and every URL handed out before stops working. -o json prints
{"teacher": URL, "students": {"alice": URL, ...}}. A class not recorded
here yet is recorded (as class up does), so URLs can be handed out first.
The tokens are secrets: whoever has a student's URL has their lab.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			cl, err := classAsRoot(cmd, args[0], "reads the class's secret, which only root may")
			if err != nil {
				return err
			}
			if rotate {
				if err := class.Rotate(cl.Name); err != nil && !errors.Is(err, class.ErrNoClass) {
					return err
				}
				note("class %s: new URLs; the ones handed out before no longer work", cl.Name)
			}
			urls, err := class.URLsOf(cl, base)
			if err != nil {
				return err
			}
			if rec, err := class.Get(cl.Name); err == nil {
				for _, s := range cl.Students {
					if !slices.Contains(rec.Students, s) {
						note("%s is not in class %s as recorded here: their URL works once ovslab class up brings the class up with them", s, cl.Name)
					}
				}
			}
			if output == "json" {
				return writeJSON(os.Stdout, urls)
			}
			tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "teacher\t%s\n", urls.Teacher)
			for _, s := range cl.Students {
				fmt.Fprintf(tw, "%s\t%s\n", s, urls.Students[s])
			}
			return tw.Flush()
		},
	}
	c.Flags().StringVar(&base, "base", class.DefaultBase, "where students reach ovslab serve")
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	c.Flags().BoolVar(&rotate, "rotate", false, "make new URLs; all earlier ones stop working")
	return c
}
