package containers

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootDockerPlumbReusedPID: the PID a caller got from Docker now
// belongs to another container's main process (the first one stopped and
// its PID was handed out again). Plumb, Inspect and SetHosts must not act
// on that other container: its eth0 and /etc/hosts stay as they were.
func TestRootDockerPlumbReusedPID(t *testing.T) {
	a := newPlumbFixture(t)
	if _, err := Plumb(a.link); err != nil {
		t.Fatal(err)
	}
	c, ctx := newClient(t)
	bSpec, bID, bPid := sleeper(t, c, ctx, unique("lab"))
	b := a
	b.name, b.pid = bSpec.Name, bPid
	b.link.ContainerID, b.link.ContainerPid = bID, bPid
	b.link.HostVeth = a.link.HostVeth + "b"
	b.link.Address = netip.MustParsePrefix("10.99.2.10/24")
	b.link.DefaultRoute = netip.Addr{}
	if _, err := Plumb(b.link); err != nil {
		t.Fatal(err)
	}
	bEth0 := b.ctr(t, "ip", "-o", "addr", "show", "dev", "eth0")
	bHosts := execOut(t, c, ctx, b.name, "cat", "/etc/hosts")

	stale := a.link // A's ID, B's PID: the PID reused
	stale.ContainerPid = bPid
	stale.HostVeth = a.link.HostVeth + "x"
	if _, err := Plumb(stale); err == nil || !strings.Contains(err.Error(), "not container") {
		t.Errorf("Plumb with a PID now another container's = %v, want a refusal", err)
	}
	if st, err := Inspect(stale); err != nil || st.ContainerPresent || st.OK() {
		t.Errorf("Inspect with a PID now another container's = %+v, %v; want a problem and nothing read from it", st, err)
	}
	if _, err := SetHosts(a.link.ContainerID, bPid, HostsFile([]HostName{{"evil", netip.MustParseAddr("10.66.6.6")}})); err == nil {
		t.Error("SetHosts wrote through a PID now another container's")
	}
	if HostsMatch(a.link.ContainerID, bPid, []byte(bHosts)) {
		t.Error("HostsMatch read another container's /etc/hosts")
	}
	if got := b.ctr(t, "ip", "-o", "addr", "show", "dev", "eth0"); got != bEth0 {
		t.Errorf("the other container's eth0 changed:\n%s\nwas\n%s", got, bEth0)
	}
	if got := execOut(t, c, ctx, b.name, "cat", "/etc/hosts"); got != bHosts {
		t.Errorf("the other container's /etc/hosts changed:\n%s", got)
	}
	if exec.Command("ip", "-n", a.ns, "link", "show", stale.HostVeth).Run() == nil {
		t.Errorf("a host veth %s was made for the refused link", stale.HostVeth)
	}
}

// TestRootDockerPlumbStoppedContainer: a container that stopped between
// the inspect and the plumbing is named as stopped, and nothing is made.
func TestRootDockerPlumbStoppedContainer(t *testing.T) {
	f := newPlumbFixture(t)
	testenv.Run(t, "docker", "kill", f.name)
	_, err := Plumb(f.link)
	if err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("Plumb into a stopped container = %v, want it named as stopped", err)
	}
	if _, err := SetHosts(f.link.ContainerID, f.pid, HostsFile(nil)); err == nil {
		t.Error("SetHosts into a stopped container succeeded")
	}
	if exec.Command("ip", "-n", f.ns, "link", "show", f.link.HostVeth).Run() == nil {
		t.Errorf("host veth %s made for a stopped container", f.link.HostVeth)
	}
}
