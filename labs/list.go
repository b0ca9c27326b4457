package labs

import (
	"context"
	"os"
	"sort"
)

// Listed is one lab of List: recorded in its state here, or (NoState)
// known only by its marks.
type Listed struct {
	Lab      string   `json:"lab"`
	Mode     string   `json:"mode"`
	Complete bool     `json:"complete"`
	NoState  bool     `json:"no_state,omitempty"`
	Hosts    []string `json:"hosts"`
	Stage    string   `json:"stage,omitempty"` // the exercise's current stage
}

// List lists the labs on this machine: those with state, then, sorted in
// with them, those whose state is gone (a reboot, a cleaned /run) but
// whose marks remain (FindUnrecorded, asking the OVSDB d names). What a
// user who is not root cannot read is not listed.
func List(ctx context.Context, d Daemons) ([]Listed, error) {
	names, err := Labs()
	if err != nil {
		return nil, err
	}
	rows := []Listed{}
	for _, n := range names {
		if st, err := LoadState(n); err == nil {
			rows = append(rows, Listed{n, st.Mode, st.Complete, false, st.Hosts, st.Stage})
		}
	}
	if os.Geteuid() == 0 {
		found, err := FindUnrecorded(ctx, d)
		if err != nil {
			return nil, err
		}
		for _, u := range found {
			rows = append(rows, Listed{u.Lab, u.mode, false, true, u.hosts, ""})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i].Lab < rows[j].Lab })
	}
	return rows, nil
}
