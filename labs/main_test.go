package labs

import (
	"os"
	"testing"
)

// TestMain lets this test binary be the flap of a flap fault: a stage
// entered here starts os.Executable() with FlapperCommand, as the ovslab
// binary starts itself.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == FlapperCommand {
		os.Exit(FlapperMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}
