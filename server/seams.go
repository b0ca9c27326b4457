package server

import (
	"context"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/trace"
)

// Work that lands with other branches, behind one function each until
// then: a lab's stage (stages), reset (stages: `ovslab reset`; until
// then class.Recreate, a down and up of the copy).

// stageOf is the stage lab is in; nil for a lab without stages.
func stageOf(string) *Stage { return nil }

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
