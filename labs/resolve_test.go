package labs

import (
	"errors"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/topology"
)

// TestResolveReadsAtMostTheCap: a file argument is read only as far as
// the 1 MiB a topology may have, so `validate /dev/zero` is a file error
// (exit 2), not a process that eats the machine's memory.
func TestResolveReadsAtMostTheCap(t *testing.T) {
	_, err := Resolve("/dev/zero")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("Resolve(/dev/zero) = %v, want the file refused as too large", err)
	}
	if !errors.Is(err, ErrUsage) && !topology.IsInvalid(err) {
		t.Errorf("Resolve(/dev/zero) = %v, want a file error (exit 2)", err)
	}
}
