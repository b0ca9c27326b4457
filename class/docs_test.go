package class

import (
	"os"
	"strings"
	"testing"
)

// TestDocsNameEveryKey keeps docs/class.md in step with the keys Load
// accepts.
func TestDocsNameEveryKey(t *testing.T) {
	b, err := os.ReadFile("../docs/class.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range fileKeys {
		if !strings.Contains(string(b), "| `"+k+"` |") {
			t.Errorf("docs/class.md does not describe key %s", k)
		}
	}
}
