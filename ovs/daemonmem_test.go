package ovs

import (
	"maps"
	"testing"
)

func TestMissingOtherConfig(t *testing.T) {
	before := maps.Clone(daemonOtherConfig)
	for _, tc := range []struct {
		name    string
		current map[string]string
		want    map[string]string
	}{
		{"new database", nil, daemonOtherConfig},
		{"unrelated key", map[string]string{"max-idle": "5000"}, daemonOtherConfig},
		{"one set by hand", map[string]string{"n-handler-threads": "4"}, map[string]string{"n-revalidator-threads": "1", "max-revalidator": "5000"}},
		{"all set", map[string]string{"n-handler-threads": "4", "n-revalidator-threads": "2", "max-revalidator": "500"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := rootOtherConfig(tc.current); !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Errorf("rootOtherConfig(%v) = %v, want %v", tc.current, got, tc.want)
			}
		})
	}
	if !maps.Equal(daemonOtherConfig, before) {
		t.Errorf("rootOtherConfig changed daemonOtherConfig: %v, was %v", daemonOtherConfig, before)
	}
}
