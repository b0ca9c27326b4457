package check

import (
	"context"

	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/labs"
)

// Run grades the lab (see grade) and records it: the report as the lab's
// last check (LoadLast), and the grading in the lab's events, so `ovslab
// events` and the classroom board see every check from any process.
func Run(ctx context.Context, lab string, o Options) (*Report, error) {
	_ = labs.Emit(lab, events.CheckStart, nil)
	rep, err := grade(ctx, lab, o)
	if err != nil {
		_ = labs.Emit(lab, events.CheckFail, map[string]any{"error": err.Error()})
		return nil, err
	}
	_ = labs.Emit(lab, events.CheckDone, doneFields(rep))
	return rep, nil
}

// doneFields are a check.done event's fields: the verdict and its counts.
func doneFields(rep *Report) map[string]any {
	passed, failed, skipped := rep.Counts()
	return map[string]any{"ok": rep.OK, "passed": passed, "failed": failed, "skipped": skipped}
}

// Counts are the results that passed, failed and were skipped.
func (r *Report) Counts() (passed, failed, skipped int) {
	for _, x := range r.Results {
		switch {
		case x.Skipped:
			skipped++
		case x.OK:
			passed++
		default:
			failed++
		}
	}
	return passed, failed, skipped
}
