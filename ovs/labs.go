package ovs

import (
	"context"
	"slices"
)

// Labs lists the labs that have marked bridges or ports in this OVSDB,
// sorted: how a lab is found on a real host when its state is gone.
func (c *Client) Labs(ctx context.Context) ([]string, error) {
	s, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	add := func(ids map[string]string) {
		if lab := ids[LabKey]; lab != "" && !slices.Contains(out, lab) {
			out = append(out, lab)
		}
	}
	for _, b := range s.bridges {
		add(b.ExternalIDs)
	}
	for _, p := range s.ports {
		add(p.ExternalIDs)
	}
	slices.Sort(out)
	return out, nil
}
