package check

import (
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// expectations are what check grades besides its own probes: the file's
// expect: entries, then those of the exercise's current stage.
func expectations(t *topology.Topology, st *labs.State) []topology.Expectation {
	out := t.Expect
	if s, _, ok := t.StageByName(st.Stage); ok {
		out = append(append([]topology.Expectation{}, t.Expect...), s.Expect...)
	}
	return out
}
