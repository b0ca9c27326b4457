package scripts

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootDebPackage installs the .deb into a clean Debian root made from
// the package registry (debootstrap --variant=minbase), as a user would:
// apt-get pulls its dependencies, ovslab version and labs run, man finds
// ovslab-up, bash completes ovslab; apt-get remove then leaves none of the
// package's files behind.
func TestRootDebPackage(t *testing.T) {
	testenv.Require(t, "debootstrap", "chroot", "mount", "umount", "tar")
	requireTools(t, "file", "dpkg-deb")
	dist := release(t)
	start := time.Now()
	root := debianRoot(t)
	t.Logf("Debian root ready in %s", time.Since(start).Round(time.Second))
	deb := "ovslab_" + testVersion + "_" + debArch(t) + ".deb"
	copyFile(t, filepath.Join(dist, deb), filepath.Join(root, "tmp", deb))

	// Recommends (Docker) are left out to keep the test short; the
	// fields themselves are checked by TestReleaseDeb.
	start = time.Now()
	out := inRoot(t, root, "apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/"+deb, "man-db")
	t.Logf("apt-get install: %s", time.Since(start).Round(time.Second))
	for _, dep := range []string{"openvswitch-switch", "iptables", "iproute2"} {
		if st := inRoot(t, root, "dpkg-query", "-W", "-f=${Status}", dep); st != "install ok installed" {
			t.Errorf("dependency %s: %q after installing the package\n%s", dep, st, out)
		}
	}
	if got := inRoot(t, root, "ovslab", "version"); !strings.HasPrefix(got, "ovslab "+testVersion+"+") {
		t.Errorf("ovslab version: %q", got)
	}
	if got := inRoot(t, root, "ovslab", "labs"); !strings.Contains(got, "l3-vxlan") {
		t.Errorf("ovslab labs does not list l3-vxlan:\n%s", got)
	}
	if got := inRoot(t, root, "man", "-w", "ovslab-up"); strings.TrimSpace(got) != "/usr/share/man/man1/ovslab-up.1.gz" {
		t.Errorf("man -w ovslab-up: %q", got)
	}
	// What bash-completion loads for "ovslab", and the words it offers.
	if got := inRoot(t, root, "bash", "-c", ". /usr/share/bash-completion/completions/ovslab && complete -p ovslab"); !strings.Contains(got, "__start_ovslab") {
		t.Errorf("the bash completion does not complete ovslab: %q", got)
	}
	if got := inRoot(t, root, "ovslab", "__complete", "u"); !strings.Contains(got, "up\t") {
		t.Errorf("completing \"ovslab u\" does not offer up:\n%s", got)
	}

	var files []string
	for _, p := range strings.Split(strings.TrimSpace(inRoot(t, root, "dpkg", "-L", "ovslab")), "\n") {
		if fi, err := os.Lstat(filepath.Join(root, p)); err == nil && !fi.IsDir() {
			files = append(files, p)
		}
	}
	if len(files) < 15 {
		t.Fatalf("dpkg -L ovslab lists only %v", files)
	}
	inRoot(t, root, "apt-get", "remove", "-y", "-q", "ovslab")
	var left []string
	for _, p := range append(files, "/usr/share/doc/ovslab") {
		if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
			left = append(left, p)
		}
	}
	if len(left) > 0 {
		t.Errorf("apt-get remove ovslab left %v", left)
	}
	if st, _ := run(t, nil, "chroot", root, "dpkg-query", "-W", "-f=${Status}", "ovslab"); strings.Contains(st, "installed") && !strings.Contains(st, "not-installed") {
		t.Errorf("dpkg still knows ovslab after remove: %q", st)
	}
}

// inRoot runs a command chrooted into root, failing the test if it fails.
func inRoot(t *testing.T, root string, args ...string) string {
	t.Helper()
	c := exec.Command("chroot", append([]string{root}, args...)...)
	c.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8", "DEBIAN_FRONTEND=noninteractive"}
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("chroot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// cacheDir keeps the day's Debian root as a tarball between runs on one
// machine; a fresh machine makes it.
const cacheDir = "/var/cache/ovslab-test"

// preload is downloaded into the cached root's apt archive, so a test
// installs them without fetching: the package's dependencies and man-db.
var preload = []string{"openvswitch-switch", "iptables", "iproute2", "man-db"}

// debianRoot unpacks a minimal Debian root of this machine's release into
// a fresh directory, with /proc, /sys and /dev/pts mounted and services
// kept from starting, and registers its teardown: every mount undone and
// the directory removed, whatever the test's outcome.
func debianRoot(t *testing.T) string {
	t.Helper()
	suite, mirror := debianSource(t)
	tarball := filepath.Join(cacheDir, fmt.Sprintf("debian-%s-minbase-%s.tar", suite, time.Now().UTC().Format("20060102")))
	if _, err := os.Stat(tarball); err != nil {
		makeRootTarball(t, suite, mirror, tarball)
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { teardownRoot(t, root) })
	must(t, "tar", "-C", root, "-xf", tarball)
	prepareRoot(t, root)
	return root
}

// prepareRoot mounts what apt and package scripts use, and tells
// invoke-rc.d to start no service: nothing may run on after the test.
func prepareRoot(t *testing.T, root string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(root, "usr/sbin/policy-rc.d"), []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), resolv, 0o644); err != nil {
		t.Fatal(err)
	}
	must(t, "mount", "-t", "proc", "proc", filepath.Join(root, "proc"))
	must(t, "mount", "-t", "sysfs", "-o", "ro", "sysfs", filepath.Join(root, "sys"))
	must(t, "mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts", filepath.Join(root, "dev/pts"))
}

// teardownRoot stops anything left running in root, undoes its mounts
// (deepest first) and removes it; it never removes a tree that still has
// a mount in it.
func teardownRoot(t *testing.T, root string) {
	procs, _ := filepath.Glob("/proc/[0-9]*/root")
	for _, p := range procs {
		if dst, err := os.Readlink(p); err == nil && (dst == root || strings.HasPrefix(dst, root+"/")) {
			pid := strings.Split(p, "/")[2]
			t.Errorf("process %s was left running in the Debian root; killing it", pid)
			_ = exec.Command("kill", "-9", pid).Run()
		}
	}
	for _, m := range mountsUnder(root) {
		if out, err := exec.Command("umount", m).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s; detaching it", m, err, out)
			_ = exec.Command("umount", "-l", m).Run()
		}
	}
	if left := mountsUnder(root); len(left) > 0 {
		t.Errorf("still mounted, so %s is left in place: %v", root, left)
		return
	}
	if err := os.RemoveAll(root); err != nil {
		t.Errorf("remove the Debian root: %v", err)
	}
}

// mountsUnder lists mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var ms []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			ms = append(ms, fields[4])
		}
	}
	sort.Slice(ms, func(i, j int) bool { return len(ms[i]) > len(ms[j]) })
	return ms
}

// makeRootTarball runs debootstrap, refreshes apt's lists and downloads
// preload into the root, and keeps it as tarball (older ones removed).
func makeRootTarball(t *testing.T, suite, mirror, tarball string) {
	t.Helper()
	start := time.Now()
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "bootstrap")
	func() {
		defer teardownRoot(t, root)
		if out, code := run(t, nil, "debootstrap", "--variant=minbase", suite, root, mirror); code != 0 {
			t.Fatalf("debootstrap %s from %s: exit %d\n%s", suite, mirror, code, tail(out, 30))
		}
		prepareRoot(t, root)
		inRoot(t, root, "apt-get", "update", "-q")
		inRoot(t, root, append([]string{"apt-get", "install", "-y", "-q", "--download-only", "--no-install-recommends"}, preload...)...)
		os.Remove(filepath.Join(root, "usr/sbin/policy-rc.d"))
		for _, m := range mountsUnder(root) {
			must(t, "umount", m)
		}
		tmp := tarball + ".tmp"
		must(t, "tar", "-C", root, "-cf", tmp, ".")
		if err := os.Rename(tmp, tarball); err != nil {
			t.Fatal(err)
		}
	}()
	old, _ := filepath.Glob(filepath.Join(cacheDir, "debian-"+suite+"-minbase-*.tar"))
	for _, o := range old {
		if o != tarball {
			os.Remove(o)
		}
	}
	t.Logf("made %s in %s", tarball, time.Since(start).Round(time.Second))
}

// debianSource is this machine's Debian release and the mirror its apt
// uses (the one this machine is known to reach).
func debianSource(t *testing.T) (suite, mirror string) {
	t.Helper()
	suite, mirror = "bookworm", "http://deb.debian.org/debian"
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "VERSION_CODENAME="); ok && v != "" {
				suite = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/etc/apt/sources.list.d/debian.sources"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "URIs:"); ok && !strings.Contains(v, "security") {
				return suite, strings.TrimSpace(v)
			}
		}
	}
	if b, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) >= 3 && f[0] == "deb" && f[2] == suite {
				return suite, f[1]
			}
		}
	}
	return suite, mirror
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
