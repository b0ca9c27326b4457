package sandbox

import (
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestInitRefusesOutsideSandbox runs this test binary as the hidden entry
// point, the way a student might from a shell: not PID 1 of a new PID
// namespace, it must refuse and exit 1 before doing anything.
func TestInitRefusesOutsideSandbox(t *testing.T) {
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{initArg0}
	cmd.Env = []string{initEnv + "=1"}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("entry point outside a sandbox: %v, want exit status 1\n%s", err, out)
	}
	want := "ovslab sandbox: the sandbox entry point is started by ovslab itself, as root, in a new PID namespace"
	if !strings.Contains(string(out), want) {
		t.Errorf("output %q, want %q", out, want)
	}
}

// TestInitIgnoresOthers: with only one of the two keys, Init is not the
// entry point and returns (the test binary runs its tests).
func TestInitIgnoresOthers(t *testing.T) {
	for _, tc := range []struct {
		arg0 string
		env  []string
	}{{initArg0, nil}, {"ovslab", []string{initEnv + "=1"}}} {
		cmd := exec.Command("/proc/self/exe", "-test.run=^TestKeptMask$")
		cmd.Args[0] = tc.arg0
		cmd.Env = tc.env
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "PASS") {
			t.Errorf("argv0 %q env %v: %v\n%s", tc.arg0, tc.env, err, out)
		}
	}
}

func TestKeptMask(t *testing.T) {
	if got := keptMask(); got != 0x3000 {
		t.Errorf("keptMask %#x, want 0x3000 (CAP_NET_ADMIN, CAP_NET_RAW)", got)
	}
}

// TestSeccompProgram checks the program assembles with every jump inside
// it and ends each path with a return.
func TestSeccompProgram(t *testing.T) {
	p := seccompProgram()
	if len(p) > 255 {
		t.Fatalf("%d instructions: jumps may not reach", len(p))
	}
	for i, in := range p {
		if in.Code&0x07 == unix.BPF_JMP && (i+1+int(in.Jt) >= len(p) || i+1+int(in.Jf) >= len(p)) {
			t.Errorf("instruction %d jumps past the end", i)
		}
	}
	if last := p[len(p)-1]; last.Code != unix.BPF_RET|unix.BPF_K {
		t.Errorf("last instruction %+v is not a return", last)
	}
}
