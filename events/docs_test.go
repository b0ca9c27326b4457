package events

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDocsSchema holds docs/events.md to the events ovslab writes: every
// type is in its table, and its example line is an Event whose keys are
// the documented ones.
func TestDocsSchema(t *testing.T) {
	b, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, typ := range Types {
		if !strings.Contains(doc, "| `"+typ+"` |") {
			t.Errorf("docs/events.md has no row for type %s", typ)
		}
	}
	_, rest, _ := strings.Cut(doc, "```json\n")
	example, _, _ := strings.Cut(rest, "\n```")
	var e Event
	if err := json.Unmarshal([]byte(example), &e); err != nil || e.Lab == "" || !slices.Contains(Types, e.Type) || e.Time.IsZero() {
		t.Errorf("the example %s is not an event: %+v, %v", example, e, err)
	}
	// What Append writes has exactly the documented keys.
	line, err := encode(Event{Time: time.Now(), Lab: "l", Type: UpDone, Fields: map[string]any{"seconds": 1.0}})
	if err != nil {
		t.Fatal(err)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(line, &keys); err != nil {
		t.Fatal(err)
	}
	for k := range keys {
		if !strings.Contains(doc, "| `"+k+"` |") {
			t.Errorf("key %q is written but not in docs/events.md", k)
		}
	}
	if len(keys) != 4 {
		t.Errorf("an event has keys %v; want time, lab, type, fields", keys)
	}
}
