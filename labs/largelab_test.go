package labs

import (
	"strings"
	"testing"
)

func TestChurnWarning(t *testing.T) {
	for _, tc := range []struct {
		version string
		n       int
		warn    bool
	}{
		{"20.10.24+dfsg1", 1000, true},
		{"20.10.24+dfsg1", 200, true},
		{"20.10.24+dfsg1", 199, false}, // small: no warning
		{"20.10.5", 250, true},
		{"20.10.27", 1000, false}, // the fixed 20.10
		{"23.0.1", 1000, false},
		{"24.0.7", 1000, false},
		{"28.5.2", 1000, false},
		{"", 1000, false}, // unknown: nothing to say
		{"dev", 1000, false},
	} {
		w := churnWarning(tc.version, tc.n)
		if (w != "") != tc.warn {
			t.Errorf("churnWarning(%q, %d) = %q; want a warning: %v", tc.version, tc.n, w, tc.warn)
			continue
		}
		if !tc.warn {
			continue
		}
		for _, want := range []string{"warning: Docker " + tc.version, "moby/libnetwork#2649", "20.10.27, 23.0 and later", "restarting dockerd", "upgrade Docker"} {
			if !strings.Contains(w, want) {
				t.Errorf("churnWarning(%q, %d) = %q; lacks %q", tc.version, tc.n, w, want)
			}
		}
	}
}
