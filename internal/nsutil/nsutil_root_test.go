package nsutil

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// TestRootNamespacesAndVeth: NewNamed makes namespaces Do can enter, AddVeth
// puts each end of a pair straight into its own one (never into ours),
// TxChecksumOff sticks, and DeleteNamed removes them, twice without error.
func TestRootNamespacesAndVeth(t *testing.T) {
	testenv.Require(t)
	a, b := fmt.Sprintf("nsu-a-%d", os.Getpid()), fmt.Sprintf("nsu-b-%d", os.Getpid())
	t.Cleanup(func() { _ = DeleteNamed(a); _ = DeleteNamed(b) })
	for _, n := range []string{a, b} {
		if err := NewNamed(n); err != nil {
			t.Fatalf("NewNamed %s: %v", n, err)
		}
		if !Exists(n) {
			t.Fatalf("%s does not exist after NewNamed", n)
		}
	}
	na, err := OpenNamed(a)
	if err != nil {
		t.Fatal(err)
	}
	defer na.Close()
	nb, err := OpenNamed(b)
	if err != nil {
		t.Fatal(err)
	}
	defer nb.Close()
	name := fmt.Sprintf("nsu%d", os.Getpid()%100000)
	if err := AddVeth(na, name, nb, "peer0", 1400, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(name); err == nil {
		t.Fatalf("%s appeared in the caller's netns", name)
	}
	if l, err := nb.Handle.LinkByName("peer0"); err != nil || l.Attrs().MTU != 1400 {
		t.Fatalf("peer0 in %s: %v, %+v; want it there with MTU 1400", b, err, l)
	}
	// Do runs in a's netns: the thread sees a's links.
	seen := false
	if err := Do(Path(a), func() error {
		_, err := netlink.LinkByName(name)
		seen = err == nil
		return nil
	}); err != nil || !seen {
		t.Fatalf("Do in %s did not see %s (err %v)", a, name, err)
	}
	if na.TxChecksumIsOff(name) {
		t.Fatal("a new veth reports TX checksum offload already off; the check below proves nothing")
	}
	if err := TxChecksumOff(Path(a), name); err != nil {
		t.Fatal(err)
	}
	if !na.TxChecksumIsOff(name) {
		t.Error("TX checksum offload still on after TxChecksumOff")
	}
	nb.Close() // an open handle would keep b alive past its name
	for i := 0; i < 2; i++ {
		if err := DeleteNamed(b); err != nil {
			t.Fatalf("DeleteNamed %s (round %d): %v", b, i, err)
		}
	}
	if Exists(b) {
		t.Errorf("%s still exists", b)
	}
	// b's end went with b, and took the pair with it.
	testenv.Eventually(t, 5*time.Second, func() error {
		if _, err := na.Handle.LinkByName(name); err == nil {
			return fmt.Errorf("%s still in %s after its peer's netns went", name, a)
		}
		return nil
	})
}

// TestRootThrowaway: fn gets a fresh netns holding only lo, so what it
// makes there (a qdisc, a link) is invisible to the caller's netns.
func TestRootThrowaway(t *testing.T) {
	testenv.Require(t)
	name := fmt.Sprintf("nsut%d", os.Getpid()%100000)
	err := Throwaway(func(ns *NS) error {
		links, err := ns.Handle.LinkList()
		if err != nil {
			return err
		}
		if len(links) != 1 || links[0].Attrs().Name != "lo" {
			return fmt.Errorf("throwaway netns holds %d links, want only lo", len(links))
		}
		return ns.Handle.LinkAdd(&netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: name}, PeerName: name + "p"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := netlink.LinkByName(name); err == nil {
		t.Errorf("veth %s made in the throwaway netns shows up in ours", name)
	}
}

// TestRootNetnsDirShared: NewNamed and NewNamedWith make /run/netns a
// mount point of its own with shared propagation, as `ip netns add` does,
// so an `ip netns add` by someone else afterwards finds it ready and
// mounts nothing over it, and both see each other's namespaces. Run in a
// private mount namespace (unshare -m) whose /run/netns mounts are
// detached and whose /run is a fresh tmpfs, so the test starts where a
// freshly booted machine does and changes nothing outside.
func TestRootNetnsDirShared(t *testing.T) {
	testenv.Require(t, "unshare", "ip")
	if os.Getenv("NSUTIL_SHARED_CHILD") == "" {
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "--", os.Args[0], "-test.run", "^TestRootNetnsDirShared$", "-test.v")
		cmd.Env = append(os.Environ(), "NSUTIL_SHARED_CHILD=1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestRootNetnsDirShared") {
			t.Fatalf("in a private mount namespace: %v\n%s", err, out)
		}
		return
	}
	// The machine's /run/netns mounts, with every netns under them, gone
	// from this mount namespace only, and a fresh /run over what is left,
	// so nothing the test makes outlives it: no NetnsDir at all.
	for {
		if err := unix.Unmount(NetnsDir, unix.MNT_DETACH); err != nil {
			break
		}
	}
	if err := unix.Mount("tmpfs", "/run", "tmpfs", 0, "mode=0755"); err != nil {
		t.Fatal(err)
	}
	if err := NewNamed("nsu-shared-a"); err != nil {
		t.Fatal(err)
	}
	if err := NewNamedWith("nsu-shared-b", func(*NS) error { return nil }); err != nil {
		t.Fatal(err)
	}
	mounts := func() (dir []string, entries int) {
		b, err := os.ReadFile("/proc/self/mountinfo")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			switch {
			case len(f) < 5:
			case f[4] == NetnsDir:
				dir = append(dir, l)
			case strings.HasPrefix(f[4], NetnsDir+"/"):
				entries++
			}
		}
		return dir, entries
	}
	dir, _ := mounts()
	if len(dir) != 1 || !strings.Contains(dir[0], " shared:") {
		t.Fatalf("after NewNamed, %s mounts: %q; want one, shared", NetnsDir, dir)
	}
	testenv.Run(t, "ip", "netns", "add", "nsu-shared-c")
	dir, entries := mounts()
	if len(dir) != 1 {
		t.Errorf("after ip netns add, %d mounts at %s (one mounted over ours): %q", len(dir), NetnsDir, dir)
	}
	for _, n := range []string{"nsu-shared-a", "nsu-shared-b", "nsu-shared-c"} {
		if !Exists(n) {
			t.Errorf("%s is not under %s", n, NetnsDir)
		}
	}
	if entries != 3 {
		t.Errorf("%d netns mounts under %s, want 3", entries, NetnsDir)
	}
}
