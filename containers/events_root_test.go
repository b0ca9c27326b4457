package containers

import (
	"testing"
	"time"
)

// TestRootEvents: a labelled container's start and its death (exit code
// and labels) arrive on the stream; one without the label does not.
func TestRootEvents(t *testing.T) {
	c, ctx := newClient(t)
	lab := unique("events")
	evs, errs := c.Events(ctx, testLabel)
	s, id, _ := sleeper(t, c, ctx, lab)
	if err := c.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	var got []string
	timeout := time.After(30 * time.Second)
	for len(got) < 2 {
		select {
		case e := <-evs:
			if e.Labels[testLabel] != lab {
				continue // another test's container
			}
			if e.Name != s.Name || e.Time.IsZero() {
				t.Errorf("event %+v: want name %s and a time", e, s.Name)
			}
			if e.Action == "die" && e.ExitCode != 137 {
				t.Errorf("die of a killed sleep: exit code %d, want 137", e.ExitCode)
			}
			got = append(got, e.Action)
		case err := <-errs:
			t.Fatalf("stream ended: %v", err)
		case <-timeout:
			t.Fatalf("events of %s after 30 s: %v; want start and die", s.Name, got)
		}
	}
	if got[0] != "start" || got[1] != "die" {
		t.Errorf("events %v; want start, die", got)
	}
}
