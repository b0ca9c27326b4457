package containers

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// plumbFixture is a throwaway host netns and a running container to wire.
type plumbFixture struct {
	ns   string
	name string // the container's
	pid  int
	link Link
}

func newPlumbFixture(t *testing.T) plumbFixture {
	t.Helper()
	testenv.Require(t, "ip", "nsenter", "ethtool", "ping")
	c, ctx := newClient(t)
	ns := testenv.Netns(t, "ovslabtest")
	s, id, pid := sleeper(t, c, ctx, unique("lab"))
	return plumbFixture{ns: ns, name: s.Name, pid: pid, link: Link{
		HostNetns:    "/run/netns/" + ns,
		HostVeth:     fmt.Sprintf("ovt%d", time.Now().UnixNano()%1_000_000),
		ContainerID:  id,
		ContainerPid: pid,
		Name:         "eth0",
		Address:      netip.MustParsePrefix("10.99.1.10/24"),
		MAC:          net.HardwareAddr{0x02, 0x42, 0x0a, 0x63, 0x01, 0x0a},
		MTU:          1400,
		DefaultRoute: netip.MustParseAddr("10.99.1.1"),
	}}
}

// host and ctr run a command in the host netns / the container netns with
// the system's tools, independent of the code under test.
func (f plumbFixture) host(t *testing.T, args ...string) string {
	t.Helper()
	return testenv.Run(t, "ip", append([]string{"netns", "exec", f.ns}, args...)...)
}

func (f plumbFixture) ctr(t *testing.T, args ...string) string {
	t.Helper()
	return testenv.Run(t, "nsenter", append([]string{"-t", strconv.Itoa(f.pid), "-n"}, args...)...)
}

// ifindexRE finds the link line anywhere in the output: ip also prints
// "Peer netns reference is invalid" for every stale name under /run/netns
// (another test's leftovers) before it.
var ifindexRE = regexp.MustCompile(`(?m)^(\d+):`)

func ifindex(t *testing.T, ipLinkOut string) int {
	t.Helper()
	m := ifindexRE.FindStringSubmatch(ipLinkOut)
	if m == nil {
		t.Fatalf("no ifindex in %q", ipLinkOut)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// indexes returns the ifindex of the host veth and of the container end.
func (f plumbFixture) indexes(t *testing.T) (int, int) {
	t.Helper()
	return ifindex(t, f.host(t, "ip", "-o", "link", "show", f.link.HostVeth)), ifindex(t, f.ctr(t, "ip", "-o", "link", "show", "eth0"))
}

// verify checks, with ip/ethtool/ping, everything Plumb promises.
func (f plumbFixture) verify(t *testing.T) {
	t.Helper()
	l := f.link
	hostLink := f.host(t, "ip", "-o", "link", "show", l.HostVeth)
	ctrLink := f.ctr(t, "ip", "-o", "link", "show", "eth0")
	for _, out := range []string{hostLink, ctrLink} {
		if !strings.Contains(out, "mtu 1400") || !regexp.MustCompile(`[<,]UP[,>]`).MatchString(out) {
			t.Errorf("want up with mtu 1400: %s", out)
		}
	}
	if !strings.Contains(ctrLink, "link/ether "+l.MAC.String()) {
		t.Errorf("container eth0 MAC: %s", ctrLink)
	}
	if out := f.ctr(t, "ip", "-o", "addr", "show", "dev", "eth0"); !strings.Contains(out, "inet 10.99.1.10/24") {
		t.Errorf("container address: %s", out)
	}
	if out := f.ctr(t, "ip", "route", "show", "default"); !strings.Contains(out, "default via 10.99.1.1 dev eth0") {
		t.Errorf("container default route: %q", out)
	}
	if out := f.ctr(t, "ip", "-o", "link", "show", "lo"); !strings.Contains(out, "UP") {
		t.Errorf("container lo: %s", out)
	}
	for where, out := range map[string]string{
		"host " + l.HostVeth: f.host(t, "ethtool", "-k", l.HostVeth),
		"container eth0":     f.ctr(t, "ethtool", "-k", "eth0"),
	} {
		if !strings.Contains(out, "tx-checksumming: off") {
			t.Errorf("%s: tx-checksumming not off:\n%s", where, firstLines(out, 8))
		}
	}
	f.host(t, "ping", "-c", "1", "-W", "2", "10.99.1.10")
	if st, err := Inspect(l); err != nil || !st.OK() {
		t.Errorf("Inspect = %+v, %v", st, err)
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

func TestRootDockerPlumb(t *testing.T) {
	f := newPlumbFixture(t)
	l := f.link
	if _, err := Plumb(l); err != nil {
		t.Fatal(err)
	}
	// The gateway the test pings from; ovslab puts it on an OVS port.
	f.host(t, "ip", "addr", "add", "10.99.1.1/24", "dev", l.HostVeth)
	f.verify(t)
	hostIdx, ctrIdx := f.indexes(t)

	t.Run("second Plumb changes nothing", func(t *testing.T) {
		if _, err := Plumb(l); err != nil {
			t.Fatal(err)
		}
		if h, c := f.indexes(t); h != hostIdx || c != ctrIdx {
			t.Fatalf("ifindex changed: %d/%d -> %d/%d", hostIdx, ctrIdx, h, c)
		}
		f.verify(t)
	})

	t.Run("drift is repaired in place", func(t *testing.T) {
		f.ctr(t, "ip", "addr", "del", "10.99.1.10/24", "dev", "eth0")
		f.ctr(t, "ip", "addr", "add", "10.99.7.7/24", "dev", "eth0")
		f.ctr(t, "ethtool", "-K", "eth0", "tx", "on")
		f.host(t, "ip", "link", "set", l.HostVeth, "mtu", "1500")
		if st, err := Inspect(l); err != nil || st.OK() || st.HasAddress || st.TxChecksumOff {
			t.Fatalf("Inspect after drift = %+v, %v; want problems", st, err)
		}
		if _, err := Plumb(l); err != nil {
			t.Fatal(err)
		}
		if h, c := f.indexes(t); h != hostIdx || c != ctrIdx {
			t.Fatalf("repair recreated the pair: %d/%d -> %d/%d", hostIdx, ctrIdx, h, c)
		}
		if out := f.ctr(t, "ip", "-o", "addr", "show", "dev", "eth0"); strings.Contains(out, "10.99.7.7") {
			t.Errorf("unwanted address kept: %s", out)
		}
		f.verify(t)
	})

	t.Run("deleted host veth is recreated", func(t *testing.T) {
		f.host(t, "ip", "link", "del", l.HostVeth)
		if st, err := Inspect(l); err != nil || st.HostExists || st.ContainerPresent {
			t.Fatalf("Inspect after delete = %+v, %v", st, err)
		}
		if _, err := Plumb(l); err != nil {
			t.Fatal(err)
		}
		f.host(t, "ip", "addr", "add", "10.99.1.1/24", "dev", l.HostVeth)
		f.verify(t)
	})

	t.Run("Unplumb removes both ends", func(t *testing.T) {
		if err := Unplumb(l.HostNetns, l.HostVeth); err != nil {
			t.Fatal(err)
		}
		if exec.Command("ip", "-n", f.ns, "link", "show", l.HostVeth).Run() == nil {
			t.Error("host veth still there")
		}
		if exec.Command("nsenter", "-t", strconv.Itoa(f.pid), "-n", "ip", "link", "show", "eth0").Run() == nil {
			t.Error("container eth0 still there")
		}
		if err := Unplumb(f.ns, l.HostVeth); err != nil {
			t.Fatalf("second Unplumb (netns by name): %v", err)
		}
	})
}

func TestRootDockerPlumbRollsBack(t *testing.T) {
	f := newPlumbFixture(t)
	l := f.link
	// A gateway outside the interface's subnet cannot be routed to: the
	// failure comes after the pair exists, so Plumb must delete it.
	l.DefaultRoute = netip.MustParseAddr("10.77.0.1")
	_, err := Plumb(l)
	if err == nil || !strings.Contains(err.Error(), "default route via 10.77.0.1") {
		t.Fatalf("Plumb(unreachable gateway) = %v", err)
	}
	if out, _ := exec.Command("ip", "-n", f.ns, "-o", "link").CombinedOutput(); strings.Contains(string(out), l.HostVeth) {
		t.Errorf("veth %s left behind after a failed Plumb:\n%s", l.HostVeth, out)
	}
	if out, _ := exec.Command("nsenter", "-t", strconv.Itoa(f.pid), "-n", "ip", "-o", "link").CombinedOutput(); strings.Contains(string(out), "eth0") {
		t.Errorf("container eth0 left behind:\n%s", out)
	}
}

func TestRootDockerPlumbLeavesForeignInterface(t *testing.T) {
	f := newPlumbFixture(t)
	l := f.link
	f.host(t, "ip", "link", "add", l.HostVeth, "type", "bridge")
	if _, err := Plumb(l); err == nil || !strings.Contains(err.Error(), "not a veth") {
		t.Fatalf("Plumb over a bridge = %v, want a refusal", err)
	}
	if err := Unplumb(l.HostNetns, l.HostVeth); err == nil || !strings.Contains(err.Error(), "not a veth") {
		t.Fatalf("Unplumb of a bridge = %v, want a refusal", err)
	}
	f.host(t, "ip", "link", "show", l.HostVeth) // still there
}

// TestRootDockerPlumbLeavesForeignVeth: a veth with the planned name whose
// peer is not in the container is someone else's; Plumb refuses it and
// leaves both ends alone.
func TestRootDockerPlumbLeavesForeignVeth(t *testing.T) {
	f := newPlumbFixture(t)
	l := f.link
	f.host(t, "ip", "link", "add", l.HostVeth, "type", "veth", "peer", "name", "userpeer0")
	_, err := Plumb(l)
	if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), l.HostVeth) {
		t.Fatalf("Plumb over a user's veth = %v, want ErrNotOwned naming %s", err, l.HostVeth)
	}
	f.host(t, "ip", "link", "show", l.HostVeth) // still there
	f.host(t, "ip", "link", "show", "userpeer0")
}

// TestRootDockerPlumbReplacesOwnLingeringVeth: a veth with the planned
// name and the caller's mark, whose peer is not in the container (its
// container is gone and the kernel has not torn its netns down yet), is
// replaced; with another mark it is refused like any foreign veth.
func TestRootDockerPlumbReplacesOwnLingeringVeth(t *testing.T) {
	f := newPlumbFixture(t)
	l := f.link
	l.Mark = "ovslab:test:" + l.HostVeth
	f.host(t, "ip", "link", "add", l.HostVeth, "type", "veth", "peer", "name", "oldpeer0")
	f.host(t, "ip", "link", "set", l.HostVeth, "alias", "ovslab:another:"+l.HostVeth)
	if _, err := Plumb(l); !errors.Is(err, ErrNotOwned) {
		t.Fatalf("Plumb over a veth with another mark = %v, want ErrNotOwned", err)
	}
	f.host(t, "ip", "link", "set", l.HostVeth, "alias", l.Mark)
	if created, err := Plumb(l); err != nil || !created {
		t.Fatalf("Plumb over its own lingering veth: created %v, %v; want a new pair", created, err)
	}
	if out, err := exec.Command("ip", "-n", f.ns, "link", "show", "oldpeer0").CombinedOutput(); err == nil {
		t.Errorf("the lingering veth's peer oldpeer0 is still there:\n%s", out)
	}
	if show := f.host(t, "ip", "link", "show", l.HostVeth); !strings.Contains(show, "alias "+l.Mark) {
		t.Errorf("new host veth lacks the mark %q:\n%s", l.Mark, show)
	}
	f.host(t, "ip", "addr", "add", "10.99.1.1/24", "dev", l.HostVeth)
	f.link = l
	f.verify(t)
}

// TestRootDockerPlumbCurrentNetns covers HostNetns "" (real hosts): run
// from a thread inside the throwaway netns, "current" is that netns, so the
// machine's own netns is never touched.
func TestRootDockerPlumbCurrentNetns(t *testing.T) {
	f := newPlumbFixture(t)
	l := f.link
	l.HostNetns = ""
	if err := nsutil.Do(f.link.HostNetns, func() error { _, err := Plumb(l); return err }); err != nil {
		t.Fatal(err)
	}
	f.host(t, "ip", "addr", "add", "10.99.1.1/24", "dev", l.HostVeth)
	f.verify(t)
	if err := nsutil.Do(f.link.HostNetns, func() error { return Unplumb("", l.HostVeth) }); err != nil {
		t.Fatal(err)
	}
	if exec.Command("ip", "-n", f.ns, "link", "show", l.HostVeth).Run() == nil {
		t.Error("host veth still there after Unplumb")
	}
}
