package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestCaptureRefusesTerminal runs capture with stdout on a terminal (made
// by script(1)): it must refuse to spray binary there, before looking for
// the lab.
func TestCaptureRefusesTerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("needs script(1) from util-linux for a terminal")
	}
	for _, w := range []string{"", " -w -"} {
		out, err := exec.Command("script", "-qec", bin+" capture cp-none doc1"+w, "/dev/null").CombinedOutput()
		var ee *exec.ExitError
		if !strings.Contains(string(out), "not writing binary pcap to a terminal") || !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("capture%s to a terminal: %v\n%s\nwant exit 2 refusing the terminal", w, err, out)
		}
	}
	if r := ovslab(t, "capture", "cp-none", "doc1", "-c", "-1"); r.code != 2 {
		t.Errorf("capture -c -1: %s; want exit 2", r)
	}
}
