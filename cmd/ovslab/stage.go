package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
	"github.com/spf13/cobra"
)

func newStage() *cobra.Command {
	var o labs.StageOptions
	var output string
	c := &cobra.Command{
		Use:   "stage LAB [NAME|next] [-o json]",
		Short: "Show the exercise's current stage, or enter another",
		Long: `A topology file's stages: are the steps of an exercise: each breaks the
lab on purpose (its faults) and says what must hold once the student has
repaired it (its expect:, graded by check with the file's own). A lab
starts in its first stage.

Without NAME, stage prints the current stage, its text, and every stage.
With NAME (or next), it undoes what the current stage broke, converges the
lab to its file as up does, and applies the new stage's faults on top.
Containers keep running; reset makes them anew. Only this lab changes.

up keeps the current stage: it neither repairs a fault of the stage nor
breaks again what a student repaired by hand; the rest converges as always.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usageError{fmt.Errorf("want LAB [NAME|next] (see %s --help)", c.CommandPath())}
			}
			return checkOutput(output)
		},
		RunE: func(c *cobra.Command, args []string) error {
			lab := args[0]
			if len(args) == 1 {
				info, err := labs.StageOf(lab)
				if err != nil {
					return err
				}
				return printStage(os.Stdout, info, output)
			}
			if err := ovsdbFits(lab, o.OVSDB); err != nil {
				return err
			}
			if err := requireRootIfHere(c, lab, changesMachine); err != nil {
				return err
			}
			o.Progress, o.Note = progress, note
			info, err := labs.EnterStage(c.Context(), lab, args[1], o)
			if err != nil {
				return err
			}
			return printStage(os.Stdout, info, output)
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint (real hosts)")
	c.Flags().BoolVar(&o.NoWait, "no-wait", false, "fail at once if another command on the lab is running")
	return c
}

func newReset() *cobra.Command {
	var o labs.ResetOptions
	var output string
	c := &cobra.Command{
		Use:   "reset LAB [--stage NAME] [-o json]",
		Short: "Take the lab back to the start of its current (or another) stage",
		Long: `reset takes a lab back to the start of its current stage, or of the stage
--stage names: every container is made anew from its image, everything is
converged to the file, and the stage's faults are applied again. A student
who fell behind, or broke more than the exercise did, starts the stage
over. Only this lab changes.`,
		Args: func(c *cobra.Command, args []string) error {
			if err := exactArgs(1)(c, args); err != nil {
				return err
			}
			return checkOutput(output)
		},
		RunE: func(c *cobra.Command, args []string) error {
			lab := args[0]
			if err := ovsdbFits(lab, o.OVSDB); err != nil {
				return err
			}
			if err := requireRootIfHere(c, lab, changesMachine); err != nil {
				return err
			}
			o.Progress, o.Note = progress, note
			info, err := labs.Reset(c.Context(), lab, o)
			if err != nil {
				return err
			}
			return printStage(os.Stdout, info, output)
		},
	}
	c.Flags().StringVar(&o.Stage, "stage", "", "the stage to reset to (default: the current one)")
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text or json")
	c.Flags().StringVar(&o.OVSDB, "ovsdb", "", "OVSDB endpoint (real hosts)")
	c.Flags().BoolVar(&o.NoWait, "no-wait", false, "fail at once if another command on the lab is running")
	return c
}

// newFlapper is the detached child a flap fault runs (labs.FlapperMain);
// hidden, as no user calls it.
func newFlapper() *cobra.Command {
	return &cobra.Command{
		Use:                labs.FlapperCommand,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			if code := labs.FlapperMain(args); code != 0 {
				return exitError{code}
			}
			return nil
		},
	}
}

func printStage(w io.Writer, info *labs.StageInfo, output string) error {
	if output == "json" {
		return writeJSON(w, info)
	}
	if info.Current == "" {
		fmt.Fprintf(w, "lab %s has no stages\n", info.Lab)
		return nil
	}
	state := ""
	if !info.Applied {
		state = " (its faults are not all applied: run ovslab up " + info.Lab + ")"
	}
	fmt.Fprintf(w, "lab %s, stage %s%s\n\n%s\n\n", info.Lab, info.Current, state, indent(info.Text))
	writeStages(w, info.Stages, info.Current)
	return nil
}

// writeStages lists stages, marking the current one.
func writeStages(w io.Writer, stages []labs.StageSummary, current string) {
	fmt.Fprintln(w, "stages:")
	for i, s := range stages {
		mark := " "
		if s.Name == current {
			mark = "*"
		}
		fmt.Fprintf(w, "%s %d. %s\n%s\n", mark, i+1, s.Name, indent(s.Text))
	}
}

// printCatalogStages lists the stages of built-in lab name, if it has any.
func printCatalogStages(w io.Writer, name string) {
	data, ok := catalog.Get(name)
	if !ok {
		return
	}
	t, err := topology.Parse(topology.BuiltinPrefix+name, data)
	if err != nil || len(t.Stages) == 0 {
		return
	}
	var stages []labs.StageSummary
	for _, s := range t.Stages {
		stages = append(stages, labs.StageSummary{Name: s.Name, Text: s.Text})
	}
	fmt.Fprintln(w)
	writeStages(w, stages, "")
}

func indent(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "     " + l
	}
	return strings.Join(lines, "\n")
}
