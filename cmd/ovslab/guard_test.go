package main

import (
	"strings"
	"testing"
)

// TestContradictingFlags: flags that cannot both hold are a usage error
// naming both, found before anything else (the file does not even exist,
// so a missed contradiction shows up as a different message).
func TestContradictingFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"up --emulate --host", []string{"up", "--emulate", "--host", "h1", "nosuch.yaml"}, []string{"--emulate and --host contradict each other", "drop one"}},
		{"up --host --emulate", []string{"up", "--host", "h1", "--emulate", "nosuch.yaml"}, []string{"--emulate and --host contradict each other"}},
		{"up --emulate --ovsdb", []string{"up", "--emulate", "--ovsdb", "unix:/x.sock", "nosuch.yaml"}, []string{"--emulate and --ovsdb contradict each other", "--ovsdb is for real hosts"}},
		{"status --ovsdb without a lab", []string{"status", "--ovsdb", "unix:/x.sock"}, []string{"--ovsdb unix:/x.sock needs a LAB", "status lists the labs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ovslab(t, tc.args...)
			if r.code != 2 || r.stdout != "" {
				t.Fatalf("want exit 2 and no stdout, got %s", r)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
		})
	}
	// The same flags apart are fine: plan --emulate --host shows one
	// emulated host's part, as the message suggests.
	if r := ovslab(t, "plan", "l3-vxlan", "--emulate", "--host", "host1"); r.code != 0 {
		t.Errorf("plan --emulate --host: %s", r)
	}
}

// TestDownOfALabNotHere: down is idempotent (exit 0) but says so, on
// stderr whether or not it is a terminal, so a typo does not pass
// silently while stdout stays empty for scripts.
func TestDownOfALabNotHere(t *testing.T) {
	r := ovslab(t, "down", "nosuchlab-pc")
	if r.code != 0 || r.stdout != "" {
		t.Fatalf("want exit 0 and no stdout, got %s", r)
	}
	if want := "no lab nosuchlab-pc on this machine: nothing to remove\n"; r.stderr != want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
}
