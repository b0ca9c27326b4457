package containers

import (
	"strings"
	"testing"
)

func TestChurnDeadlock(t *testing.T) {
	for _, tc := range []struct {
		version         string
		affected, known bool
	}{
		{"20.10.24+dfsg1", true, true}, // Debian 12's docker.io
		{"20.10.5", true, true},
		{"20.10.26", true, true},
		{"20.10.27", false, true}, // the 20.10 backport
		{"19.03.15", true, true},
		{"17.03.2-ce", true, true},
		{"1.13.1", true, true},
		{"22.06.0-beta.0", false, true},
		{"23.0.1", false, true},
		{"24.0.7", false, true},
		{"26.1.5+dfsg1", false, true},
		{"28.5.2", false, true},
		{"20.10", true, true}, // no patch: 20.10.0
		{"", false, false},
		{"dev", false, false},
		{"library-import", false, false},
		{"20", false, false},
		{"20.10.24.1", false, false},
		{".10.24", false, false},
	} {
		t.Run(tc.version, func(t *testing.T) {
			affected, known := ChurnDeadlock(tc.version)
			if affected != tc.affected || known != tc.known {
				t.Errorf("ChurnDeadlock(%q) = %v, %v; want %v, %v", tc.version, affected, known, tc.affected, tc.known)
			}
			hint := deadlockHint(tc.version)
			if got := hint != ""; got != tc.affected {
				t.Errorf("deadlockHint(%q) = %q; want a hint: %v", tc.version, hint, tc.affected)
			}
			for _, want := range []string{tc.version, DeadlockBug, DeadlockFixedIn, "restart dockerd", "docker ps"} {
				if tc.affected && !strings.Contains(hint, want) {
					t.Errorf("deadlockHint(%q) = %q; lacks %q", tc.version, hint, want)
				}
			}
		})
	}
}
