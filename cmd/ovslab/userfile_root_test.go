package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootProfilePlantedSymlink: OVSLAB_CPUPROFILE naming a symlink that
// another user planted in a sticky directory writes nothing through it,
// even with fs.protected_symlinks=0; the command still runs.
func TestRootProfilePlantedSymlink(t *testing.T) {
	testenv.ProtectedSymlinksOff(t)
	link, target := testenv.PlantedSymlink(t, "ovslab.prof")
	c := exec.Command(bin, "version")
	c.Env = append(os.Environ(), "OVSLAB_CPUPROFILE="+link)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("version with a profile: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "OVSLAB_CPUPROFILE") || !strings.Contains(string(out), "symbolic link") {
		t.Errorf("output does not say why there is no profile:\n%s", out)
	}
	testenv.Untouched(t, target)
}

// TestRootCaptureFilePlantedSymlink: capture -w to a planted symlink
// writes no packet bytes through it.
func TestRootCaptureFilePlantedSymlink(t *testing.T) {
	testenv.ProtectedSymlinksOff(t)
	link, target := testenv.PlantedSymlink(t, "doc1.pcap")
	out := &lazyFile{path: link}
	if _, err := out.Write([]byte("frame bytes a lab container chose")); err == nil {
		t.Error("capture wrote through a planted symlink")
	}
	if err := out.Close(); err != nil {
		t.Error(err)
	}
	testenv.Untouched(t, target)
}
