package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// vmtest runs scripts/vmtest.sh with args and returns its stdout, stderr
// and exit code.
func vmtest(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	script, err := vmtestScript()
	if err != nil {
		t.Fatal(err)
	}
	c := exec.Command(script, args...)
	c.Env = append(os.Environ(), env...)
	var out, errb strings.Builder
	c.Stdout, c.Stderr = &out, &errb
	err = c.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

// TestRootVMExitStatus: the VM runs the command on Debian's kernel, its
// output and exit status come back, and a VM that never reports (a kernel
// panic, a hung boot, a timeout) is an error, never a pass.
func TestRootVMExitStatus(t *testing.T) {
	if InVM() {
		t.Skip("boots the VM itself")
	}
	RequireVMTier(t)
	Require(t, "qemu-system-x86_64")
	kernels, _ := filepath.Glob("/boot/vmlinuz-*-amd64")
	if len(kernels) == 0 {
		missing(t, "needs a Debian kernel in /boot (scripts/install-deps.sh installs linux-image-amd64)")
	}
	out, errOut, code := vmtest(t, nil, "sh", "-c", `uname -r; echo "in vm: $OVSLAB_IN_VM"; exit 7`)
	release := strings.TrimPrefix(filepath.Base(kernels[len(kernels)-1]), "vmlinuz-")
	if code != 7 || out != release+"\nin vm: 1\n" {
		t.Errorf("want exit 7 and %q then the marker, got exit %d, stdout %q, stderr:\n%s", release, code, out, errOut)
	}

	// A kernel panic (sysrq c crashes the kernel) ends the VM with no status.
	out, errOut, code = vmtest(t, nil, "sh", "-c", "echo c >/proc/sysrq-trigger")
	if code == 0 || !strings.Contains(errOut, "without the command's exit status") {
		t.Errorf("a kernel panic: want a non-zero exit saying no status came back, got exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}

	// A boot that does not reach the command in time (here: 1 s, never
	// enough) is killed and tried once more, saying so, then an error.
	out, errOut, code = vmtest(t, []string{"VMTEST_BOOT_TIMEOUT=1"}, "echo", "ran")
	if code != 125 || out != "" || strings.Count(errOut, "did not start the command within 1s") != 2 ||
		!strings.Contains(errOut, "booting once more") || !strings.Contains(errOut, "did not boot twice") {
		t.Errorf("a hung boot: want two loud attempts, exit 125 and no output, got exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}

	out, errOut, code = vmtest(t, []string{"VMTEST_TIMEOUT=2"}, "sleep", "60")
	if code == 0 || !strings.Contains(errOut, "timed out") {
		t.Errorf("a VM past its timeout: want a non-zero exit naming the timeout, got exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
}
