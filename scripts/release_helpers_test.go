package scripts

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testVersion is the version the tests build releases as.
const testVersion = "0.0.1"

// built is one release of the checkout, made once for all tests of the
// package by scripts/release.sh.
var built struct {
	once sync.Once
	dist string
	took time.Duration
	err  error
}

var tmpRoot string

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "ovslab-release-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = d
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// requireTools skips the test (fails it under CI) unless every tool is on
// PATH; scripts/install-deps.sh --release installs them.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, b := range append([]string{"git", "go", "sha256sum"}, tools...) {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("needs %s on PATH (CI must provide it: scripts/install-deps.sh --release)", b)
			}
			t.Skipf("needs %s on PATH (scripts/install-deps.sh --release installs it)", b)
		}
	}
	if err := exec.Command("git", "rev-parse", "HEAD").Run(); err != nil {
		t.Skip("not a git checkout: release.sh stamps the commit")
	}
}

func init() {
	// The scripts find Go where the README says it is.
	if _, err := exec.LookPath("go"); err != nil {
		os.Setenv("PATH", os.Getenv("PATH")+":/usr/local/go/bin")
	}
}

// release returns the directory of the shared release, building it on
// first use.
func release(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		start := time.Now()
		built.dist, built.err = runRelease(filepath.Join(tmpRoot, "dist"))
		built.took = time.Since(start)
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.dist
}

// runRelease runs scripts/release.sh into dist. ALLOW_DIRTY: a developer's
// uncommitted changes are what the tests should see.
func runRelease(dist string) (string, error) {
	c := exec.Command("./release.sh", testVersion)
	c.Env = append(os.Environ(), "DIST="+dist, "ALLOW_DIRTY=1")
	if out, err := c.CombinedOutput(); err != nil {
		return "", fmt.Errorf("release.sh: %v\n%s", err, out)
	}
	return dist, nil
}

// run runs a command and returns its combined output and exit code; it
// fails the test only if the command cannot start.
func run(t *testing.T, env []string, name string, args ...string) (string, int) {
	t.Helper()
	c := exec.Command(name, args...)
	c.Env = append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return string(out), 0
}

// must runs a command that has to succeed and returns its output.
func must(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, code := run(t, nil, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// debArch is the Debian name of this machine's architecture.
func debArch(t *testing.T) string {
	t.Helper()
	switch m := strings.TrimSpace(must(t, "uname", "-m")); m {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	default:
		t.Skipf("no release is built for %s", m)
		return ""
	}
}
