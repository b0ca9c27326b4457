package remote

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// InstallDir is where ovslab puts copies of itself on the hosts, one file
// per version, so hosts driven by different ovslab binaries never clash.
const InstallDir = "/usr/local/lib/ovslab"

var self struct {
	once    sync.Once
	path    string
	version string
	size    int64
	err     error
}

// Version identifies this very binary: the module version and a hash of
// the executable, so two builds of one commit with different code never
// pass for each other.
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
		if self.size, err = io.Copy(h, f); err != nil {
			self.err = fmt.Errorf("hash %s: %w", self.path, err)
			return
		}
		mod := "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			mod = bi.Main.Version
		}
		self.version = mod + "+" + hex.EncodeToString(h.Sum(nil))[:16]
	})
	return self.version, self.err
}

// unameArch is what `uname -m` prints for the architectures ovslab builds
// for.
var unameArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "arm": "armv7l", "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}

// Ensure makes sure the host has this ovslab, copying it there (through
// the session's stdin, no scp needed) when it is missing or another
// version, and returns its path there and whether it was copied.
func (c *Conn) Ensure(ctx context.Context) (path string, copied bool, err error) {
	version, err := Version()
	if err != nil {
		return "", false, fmt.Errorf("this ovslab's version: %w", err)
	}
	path = InstallDir + "/ovslab-" + strings.ReplaceAll(version, "+", "-")
	check := "uname -sm; " + shellQuote(path) + " version 2>/dev/null || true"
	out, err := c.output(ctx, check, nil)
	if err != nil {
		return "", false, err
	}
	lines := strings.SplitN(strings.TrimSpace(out), "\n", 2)
	if want := "Linux " + unameArch[runtime.GOARCH]; lines[0] != want {
		return "", false, fmt.Errorf("host %s is %q, this ovslab is built for linux/%s; build one for it (GOARCH) and run --all from a machine like it", c.Target.Host, lines[0], runtime.GOARCH)
	}
	if len(lines) == 2 && strings.TrimSpace(lines[1]) == "ovslab "+version {
		return path, false, nil
	}
	f, err := os.Open(self.path)
	if err != nil {
		return "", false, err
	}
	defer f.Close()
	// Written beside its final name and renamed once complete: a copy cut
	// short never runs, and two sessions copying at once both succeed.
	dir, q := shellQuote(InstallDir), shellQuote(path)
	script := "set -e; umask 022; mkdir -p " + dir + "; t=$(mktemp " + dir + "/.ovslab-XXXXXX); trap 'rm -f \"$t\"' EXIT; cat > \"$t\"; " +
		"[ \"$(wc -c < \"$t\")\" -eq " + strconv.FormatInt(self.size, 10) + " ]; chmod 755 \"$t\"; mv -f \"$t\" " + q + "; trap - EXIT; " + q + " version"
	out, err = c.output(ctx, script, f)
	if err != nil {
		return "", false, fmt.Errorf("host %s: copy ovslab to %s: %w", c.Target.Host, path, err)
	}
	if got := strings.TrimSpace(out); got != "ovslab "+version {
		return "", false, fmt.Errorf("host %s: the copy at %s says %q, want %q", c.Target.Host, path, got, "ovslab "+version)
	}
	return path, true, nil
}
