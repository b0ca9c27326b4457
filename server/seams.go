package server

import (
	"context"
	"slices"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/trace"
)

// Work that lands with other branches, behind one function each: a
// student's reset is still class.Recreate (a down and up of the copy),
// not yet labs.Reset (back to the start of the current stage).

// stageOf is the stage lab is in; nil for a lab without stages (or one
// whose state cannot be read: the board shows no stage then).
func stageOf(lab string) *Stage {
	info, err := labs.StageOf(lab)
	if err != nil || info.Current == "" {
		return nil
	}
	i := slices.IndexFunc(info.Stages, func(s labs.StageSummary) bool { return s.Name == info.Current })
	return &Stage{Name: info.Current, Text: info.Text, Index: i + 1, Count: len(info.Stages)}
}

// resetLab takes lab down and brings it up again from its class's lab,
// that copy only (class.Recreate).
func resetLab(ctx context.Context, lab string) error {
	c, err := classOf(lab)
	if err != nil {
		return err
	}
	student, _ := c.Student(lab)
	return class.Recreate(ctx, c, student, class.UpOptions{})
}

// canTrace says traceLab explains paths.
const canTrace = true

// traceLab explains the path from from to to in lab, as `ovslab trace`:
// read from the lab's state, sending no traffic.
func traceLab(ctx context.Context, lab, from, to string) (any, error) {
	return trace.Run(ctx, lab, from, to, trace.Options{})
}
