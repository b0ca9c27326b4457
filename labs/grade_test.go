package labs_test

import (
	"context"
	"encoding/json"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/labs"
)

// labs' tests grade the labs they bring up with the check package, which
// imports labs: only an external test package may import it back.
func init() {
	labs.CheckLab = func(ctx context.Context, lab string) ([]byte, error) {
		rep, err := check.Run(ctx, lab, check.Options{})
		if err != nil {
			return nil, err
		}
		return json.Marshal(rep)
	}
}
