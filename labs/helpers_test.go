package labs

import (
	"context"
	"encoding/json"
	"errors"
)

// CheckLab grades a lab that a test brought up: check.Run, as its JSON
// report. The check package sits above labs, so labs' own tests cannot
// import it; grade_test.go (package labs_test, where that import is
// allowed) sets this, and the tests read the report from its JSON, as
// fleet reads a host's.
var CheckLab func(ctx context.Context, lab string) ([]byte, error)

// checkReportJSON and checkResultJSON are a check report as its JSON reads.
type checkReportJSON struct {
	Lab     string
	OK      bool
	Results []checkResultJSON
}

type checkResultJSON struct {
	Kind, From, To, Detail, Want, Message string
	OK, Skipped                           bool
}

// runCheck runs `ovslab check` on lab, with the linear sample of probes.
func runCheck(ctx context.Context, lab string) (*checkReportJSON, error) {
	if CheckLab == nil {
		return nil, errors.New("CheckLab is not set (grade_test.go sets it)")
	}
	b, err := CheckLab(ctx, lab)
	if err != nil {
		return nil, err
	}
	var rep checkReportJSON
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
