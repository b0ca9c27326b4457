package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootCtrlCDuringUp interrupts `ovslab up --emulate` the way a user's
// Ctrl-C does, once its state is written and it is building. The run must
// stop with an error, leave a state that `down` removes completely, and
// a new `up` must finish the lab.
func TestRootCtrlCDuringUp(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip")
	testenv.RequireDocker(t)
	const lab = "cli-int"
	text := strings.Replace(validFile, "name: cli-ok", "name: "+lab, 1)
	text = strings.NewReplacer("c1:", "ci1:", "c2:", "ci2:").Replace(text)
	file := writeFile(t, "topology.yaml", text)
	down := func() result { return ovslab(t, "down", lab) }
	t.Cleanup(func() {
		if r := down(); r.code != 0 {
			t.Logf("cleanup: %s", r)
		}
	})

	up := exec.Command(bin, "up", "--emulate", file)
	var stderr bytes.Buffer
	up.Stderr = &stderr
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		if _, err := os.Stat("/run/ovslab/" + lab + "/state.json"); err != nil {
			return err
		}
		return nil
	})
	if err := up.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := up.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("interrupted up: %v, want exit 1; stderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("interrupted up does not say it was cancelled:\n%s", stderr.String())
	}
	if st := ovslab(t, "status"); !strings.Contains(st.stdout, lab) || !strings.Contains(st.stdout, "incomplete") {
		t.Errorf("status after Ctrl-C should list %s as incomplete:\n%s", lab, st)
	}

	// up finishes what the interrupted one began.
	if r := ovslab(t, "up", "--emulate", file); r.code != 0 {
		t.Fatalf("up after Ctrl-C: %s", r)
	}
	if r := ovslab(t, "check", lab); r.code != 0 {
		t.Errorf("check after the finishing up: %s", r)
	}
	if r := down(); r.code != 0 {
		t.Fatalf("down: %s", r)
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), lab+"-") {
		t.Errorf("netns of %s left after down:\n%s", lab, out)
	}
	if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=ovslab.lab="+lab).Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("containers of %s left after down: %s", lab, out)
	}
	if _, err := os.Stat("/run/ovslab/" + lab); !os.IsNotExist(err) {
		t.Errorf("/run/ovslab/%s left after down (%v)", lab, err)
	}
}
