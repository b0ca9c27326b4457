package testenv

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// InVMEnv is set to "1" by scripts/vmtest.sh for the command it runs in the VM.
const InVMEnv = "OVSLAB_IN_VM"

// InVM reports whether this process runs inside the test VM.
func InVM() bool { return os.Getenv(InVMEnv) == "1" }

// VMTierEnv turns the VM tier on: its tests boot a VM each under software
// emulation, minutes in all, so a plain `go test` leaves them out;
// scripts/test.sh (and so CI) sets it.
const VMTierEnv = "OVSLAB_VM"

// RequireVMTier skips a VM-tier test unless the tier was asked for.
func RequireVMTier(t testing.TB) {
	t.Helper()
	if os.Getenv(VMTierEnv) != "1" {
		t.Skipf("VM tier: set %s=1 (scripts/test.sh does) to boot Debian's kernel for this test", VMTierEnv)
	}
}

// RunInVM runs the calling test inside Debian's own kernel booted under
// qemu (scripts/vmtest.sh), for what this machine's kernel lacks: the
// openvswitch module, netem, 8021q. Outside the VM it runs this test binary
// there for just this test, fails t if the test did not pass in there, and
// returns true: the caller returns. Inside the VM it returns false and the
// test goes on. A missing qemu or Debian kernel skips the test, or fails it
// under CI=true.
//
//	if testenv.RunInVM(t) {
//		return
//	}
func RunInVM(t *testing.T) bool {
	t.Helper()
	if InVM() {
		return false
	}
	RequireVMTier(t)
	Require(t, "qemu-system-x86_64")
	if k, _ := filepath.Glob("/boot/vmlinuz-*-amd64"); len(k) == 0 {
		missing(t, "needs a Debian kernel in /boot (scripts/install-deps.sh installs linux-image-amd64)")
	}
	script, err := vmtestScript()
	if err != nil {
		missing(t, err.Error())
	}
	bin := vmBinary(t)
	args := []string{bin, "-test.run", runPattern(t.Name()), "-test.count=1", "-test.v"}
	if d, ok := t.Deadline(); ok {
		args = append(args, "-test.timeout", time.Until(d).Round(time.Second).String())
	}
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("VMTEST_TIMEOUT=%d", vmTimeout(t)))
	// Streamed line by line as it comes, so a slow VM shows progress.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = w, w
	start := time.Now()
	err = cmd.Start()
	w.Close()
	var out strings.Builder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fmt.Fprintf(os.Stdout, "vm| %s\n", sc.Text())
		out.WriteString(sc.Text() + "\n")
	}
	r.Close()
	if err == nil {
		err = cmd.Wait()
	}
	t.Logf("in the VM: %s", time.Since(start).Round(time.Second))
	passed := strings.Contains(out.String(), "--- PASS: "+t.Name()+" ")
	switch {
	case err != nil:
		t.Fatalf("%s in the VM: %v", t.Name(), err)
	case strings.Contains(out.String(), "--- SKIP: "+t.Name()+" "):
		missing(t, "skipped in the VM (see its output above)")
	case !passed:
		// Exit 0 without a PASS line: the test did not run (a name the
		// pattern missed): never a pass.
		t.Fatalf("%s did not run in the VM", t.Name())
	}
	return true
}

// vmBinary copies this test binary where the VM sees it.
func vmBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return VMVisible(t, self)
}

// VMVisible copies the file at path (e.g. a binary go test built) to where
// the VM sees it, and returns the copy's path, removed when t ends: the VM
// mounts this machine's root read-only but has its own /tmp, where go test
// builds. Pass the path into the VM in an OVSLAB_* variable (t.Setenv).
func VMVisible(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/var/tmp", "ovslab-vmtest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(cp, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return cp
}

// vmtestScript finds scripts/vmtest.sh above the package directory.
func vmtestScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "scripts", "vmtest.sh")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", fmt.Errorf("needs scripts/vmtest.sh in a directory above this package")
		}
		dir = up
	}
}

// vmTimeout leaves the VM time to report before the test's own deadline.
func vmTimeout(t *testing.T) int {
	secs := 600
	if d, ok := t.Deadline(); ok {
		if left := int(time.Until(d).Seconds()) - 15; left < secs {
			secs = max(left, 30)
		}
	}
	return secs
}

// runPattern matches exactly the test called name (subtests included).
func runPattern(name string) string {
	parts := strings.Split(name, "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	return strings.Join(parts, "/")
}
