package scripts

import (
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReleaseReproducible: release.sh twice on one commit gives the same
// SHA256SUMS, and it lists every file the release is made of.
func TestReleaseReproducible(t *testing.T) {
	requireTools(t, "file", "dpkg-deb")
	first := release(t)
	t.Logf("first release.sh: %s", built.took.Round(time.Second))
	start := time.Now()
	second, err := runRelease(filepath.Join(t.TempDir(), "dist"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("second release.sh: %s", time.Since(start).Round(time.Second))
	a, b := readFile(t, filepath.Join(first, "SHA256SUMS")), readFile(t, filepath.Join(second, "SHA256SUMS"))
	if a != b {
		t.Errorf("two releases of one commit differ:\n%s\n%s", a, b)
	}
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(a), "\n") {
		names = append(names, strings.Fields(l)[1])
	}
	v := testVersion
	want := []string{"install.sh", "ovslab_" + v + "_amd64.deb", "ovslab_" + v + "_arm64.deb", "ovslab_" + v + "_docs.tar.gz", "ovslab_" + v + "_linux_amd64", "ovslab_" + v + "_linux_arm64"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("SHA256SUMS lists %v, want %v", names, want)
	}
}

// TestReleaseBinaries: static ELF binaries for both architectures, the
// one for this machine stamped with the version, the commit and its date.
func TestReleaseBinaries(t *testing.T) {
	requireTools(t, "file", "dpkg-deb")
	dist := release(t)
	for arch, machine := range map[string]string{"amd64": "x86-64", "arm64": "ARM aarch64"} {
		out := must(t, "file", "-b", filepath.Join(dist, "ovslab_"+testVersion+"_linux_"+arch))
		if !strings.HasPrefix(out, "ELF 64-bit LSB executable, "+machine+",") || !strings.Contains(out, "statically linked") {
			t.Errorf("linux_%s: file says %q, want a static ELF for %s", arch, out, machine)
		}
	}
	var v struct{ Version, Commit, Date, ID, SHA256 string }
	bin := filepath.Join(dist, "ovslab_"+testVersion+"_linux_"+debArch(t))
	if err := json.Unmarshal([]byte(must(t, bin, "version", "-o", "json")), &v); err != nil {
		t.Fatal(err)
	}
	commit := strings.TrimSpace(must(t, "git", "rev-parse", "HEAD"))
	epoch, err := strconv.ParseInt(strings.TrimSpace(must(t, "git", "log", "-1", "--format=%ct")), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	date := time.Unix(epoch, 0).UTC().Format(time.RFC3339)
	if v.Version != testVersion || strings.TrimSuffix(v.Commit, "+dirty") != commit || v.Date != date {
		t.Errorf("version -o json = %+v, want version %s, commit %s, date %s (the commit's)", v, testVersion, commit, date)
	}
	if sums := readFile(t, filepath.Join(dist, "SHA256SUMS")); !strings.Contains(sums, v.SHA256+"  "+filepath.Base(bin)) || !strings.HasPrefix(v.ID, testVersion+"+"+v.SHA256[:16]) {
		t.Errorf("version's id %s and sha256 %s do not match SHA256SUMS:\n%s", v.ID, v.SHA256, sums)
	}
}

// TestReleaseDeb: the package's fields and files, read with dpkg-deb.
func TestReleaseDeb(t *testing.T) {
	requireTools(t, "file", "dpkg-deb")
	dist := release(t)
	for _, arch := range []string{"amd64", "arm64"} {
		deb := filepath.Join(dist, "ovslab_"+testVersion+"_"+arch+".deb")
		for field, want := range map[string]string{
			"Package":      "ovslab",
			"Version":      testVersion,
			"Architecture": arch,
			"Depends":      "openvswitch-switch, iptables, iproute2",
			"Recommends":   "docker.io | docker-ce, busybox-static",
		} {
			if got := strings.TrimSpace(must(t, "dpkg-deb", "-f", deb, field)); got != want {
				t.Errorf("%s: %s is %q, want %q", filepath.Base(deb), field, got, want)
			}
		}
		list := must(t, "dpkg-deb", "-c", deb)
		for _, f := range []string{"./usr/bin/ovslab", "./usr/share/bash-completion/completions/ovslab", "./usr/share/zsh/vendor-completions/_ovslab",
			"./usr/share/fish/vendor_completions.d/ovslab.fish", "./usr/share/man/man1/ovslab.1.gz", "./usr/share/man/man1/ovslab-up.1.gz",
			"./usr/share/doc/ovslab/README.md", "./usr/share/doc/ovslab/ci.md"} {
			if !regexp.MustCompile(`\s` + regexp.QuoteMeta(f) + `\n`).MatchString(list) {
				t.Errorf("%s lacks %s:\n%s", filepath.Base(deb), f, list)
			}
		}
		// Hidden commands are for --all, not for a user's manual.
		if strings.Contains(list, "ovslab-preflight") {
			t.Errorf("%s has a man page of a hidden command:\n%s", filepath.Base(deb), list)
		}
	}
}

// TestInstallScript: install.sh installs a release from a URL into a
// prefix and names the next command; it refuses a release whose binary
// does not match SHA256SUMS, installing nothing.
func TestInstallScript(t *testing.T) {
	requireTools(t, "file", "dpkg-deb", "curl")
	dist := release(t)
	arch := debArch(t)

	t.Run("from a URL", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.FileServer(http.Dir(dist))}
		go func() { _ = srv.Serve(l) }()
		defer srv.Close()
		prefix := t.TempDir()
		out, code := run(t, nil, "./install.sh", "--prefix", prefix, "http://"+l.Addr().String()+"/")
		if code != 0 || !strings.Contains(out, "Next: sudo "+prefix+"/bin/ovslab up --emulate l3-vxlan") {
			t.Fatalf("install.sh from a URL: exit %d, want 0 and the next command\n%s", code, out)
		}
		if got := must(t, filepath.Join(prefix, "bin", "ovslab"), "version"); !strings.HasPrefix(got, "ovslab "+testVersion+"+") {
			t.Errorf("installed ovslab says %q", got)
		}
		for _, f := range []string{"share/man/man1/ovslab-up.1.gz", "share/bash-completion/completions/ovslab", "share/zsh/site-functions/_ovslab", "share/fish/vendor_completions.d/ovslab.fish"} {
			if _, err := os.Stat(filepath.Join(prefix, f)); err != nil {
				t.Errorf("not installed: %v", err)
			}
		}
	})

	t.Run("a tampered binary", func(t *testing.T) {
		bad := t.TempDir()
		for _, n := range []string{"SHA256SUMS", "ovslab_" + testVersion + "_docs.tar.gz", "ovslab_" + testVersion + "_linux_" + arch} {
			copyFile(t, filepath.Join(dist, n), filepath.Join(bad, n))
		}
		// One byte more: what a truncated or altered download looks like
		// is all the same to sha256sum.
		f, err := os.OpenFile(filepath.Join(bad, "ovslab_"+testVersion+"_linux_"+arch), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = f.Write([]byte{0})
		f.Close()
		prefix := filepath.Join(t.TempDir(), "p")
		out, code := run(t, nil, "./install.sh", "--prefix", prefix, bad)
		if code == 0 || !strings.Contains(out, "ovslab_"+testVersion+"_linux_"+arch+" does not match its SHA-256") {
			t.Errorf("install.sh of a tampered binary: exit %d, want a refusal naming the file\n%s", code, out)
		}
		if _, err := os.Stat(prefix); !os.IsNotExist(err) {
			t.Errorf("a refused install left %s (%v)", prefix, err)
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
