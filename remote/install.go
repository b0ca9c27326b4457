package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/ovslab/ovslab/internal/buildinfo"
)

// InstallDir is where ovslab puts its copy on the hosts, in a file named
// for its version and hash; a copy of another version found there is
// removed.
const InstallDir = "/usr/local/lib/ovslab"

// installDir is InstallDir, moved aside by tests.
var installDir = InstallDir

var self struct {
	once    sync.Once
	path    string
	version string
	sha256  string
	err     error
}

// Version identifies this very binary: its release version (buildinfo)
// and a hash of the executable, so two builds of one version with
// different code never pass for each other. `ovslab version` prints it.
func Version() (string, error) {
	self.once.Do(func() {
		self.path, self.err = os.Executable()
		if self.err != nil {
			return
		}
		f, err := os.Open(self.path)
		if err != nil {
			self.err = err
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err = io.Copy(h, f); err != nil {
			self.err = fmt.Errorf("hash %s: %w", self.path, err)
			return
		}
		self.sha256 = hex.EncodeToString(h.Sum(nil))
		self.version = buildinfo.Get().Version + "+" + self.sha256[:16]
	})
	return self.version, self.err
}

// SHA256 is the hex SHA-256 of this binary: what `--all` compares with a
// host's copy before using it.
func SHA256() (string, error) {
	_, err := Version()
	return self.sha256, err
}

// unameArch is what `uname -m` prints for the architectures ovslab builds
// for.
var unameArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}

// Ensure makes sure the host has this ovslab, copying it there (through
// the session's stdin, no scp needed) when it is missing or its bytes
// differ, and returns its path there and whether it was copied. A copy is
// judged by its SHA-256, never by what it says of itself: a file that
// answers `version` like this one may be anything. Copies of other
// versions in the directory are removed.
func (c *Conn) Ensure(ctx context.Context) (path string, copied bool, err error) {
	version, err := Version()
	if err != nil {
		return "", false, fmt.Errorf("this ovslab's version: %w", err)
	}
	path = installDir + "/ovslab-" + strings.ReplaceAll(version, "+", "-")
	dir, q := shellQuote(installDir), shellQuote(path)
	// Other versions go first, whatever follows; ".ovslab-*" (a copy under
	// way, see below) is left to its session.
	check := "uname -sm; for f in " + dir + "/ovslab-*; do [ \"$f\" = " + q + " ] || [ ! -f \"$f\" ] || rm -f -- \"$f\"; done; " +
		"sha256sum -- " + q + " 2>/dev/null || true"
	out, err := c.output(ctx, check, nil)
	if err != nil {
		return "", false, err
	}
	lines := strings.SplitN(strings.TrimSpace(out), "\n", 2)
	if want := "Linux " + unameArch[runtime.GOARCH]; lines[0] != want {
		return "", false, fmt.Errorf("host %s is %q, this ovslab is built for linux/%s; build one for it (GOARCH) and run --all from a machine like it", c.Target.Host, lines[0], runtime.GOARCH)
	}
	if len(lines) == 2 && firstField(lines[1]) == self.sha256 {
		return path, false, nil
	}
	f, err := os.Open(self.path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	// Written beside its final name and renamed once its hash is right: a
	// copy cut short never runs, and two sessions copying at once both
	// succeed.
	script := "set -e; umask 022; mkdir -p " + dir + "; t=$(mktemp " + dir + "/.ovslab-XXXXXX); trap 'rm -f \"$t\"' EXIT; cat > \"$t\"; " +
		"[ \"$(sha256sum < \"$t\" | cut -d' ' -f1)\" = " + self.sha256 + " ]; chmod 755 \"$t\"; mv -f \"$t\" " + q + "; trap - EXIT; sha256sum -- " + q
	out, err = c.output(ctx, script, f)
	if err != nil {
		return "", false, fmt.Errorf("host %s: copy ovslab to %s: %w", c.Target.Host, path, err)
	}
	if got := firstField(out); got != self.sha256 {
		return "", false, fmt.Errorf("host %s: the copy at %s has SHA-256 %q, want %s", c.Target.Host, path, got, self.sha256)
	}
	return path, true, nil
}

// firstField is the hash in a line of sha256sum's output.
func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}
