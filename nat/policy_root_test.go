package nat

import (
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// natRig is three throwaway netns: client 10.9.1.2 → router (gateway port
// gw0, WAN port wan0, FORWARD policy DROP as Docker leaves it) → server
// 192.0.2.2 and 192.0.2.3, which have no route back to 10.9.1.0/24.
type natRig struct {
	client, router, server string
	rpath                  string
}

func newNATRig(t *testing.T) natRig {
	t.Helper()
	testenv.Require(t, "ip", "iptables", "iptables-save", "ping")
	r := natRig{client: testenv.Netns(t, "nat-cli"), router: testenv.Netns(t, "nat-rtr"), server: testenv.Netns(t, "nat-srv")}
	r.rpath = nsutil.Path(r.router)
	// Each veth end is created directly in its netns: nothing appears in
	// the root netns, and deleting the netns removes them.
	testenv.Run(t, "ip", "link", "add", "c0", "netns", r.client, "type", "veth", "peer", "name", "gw0", "netns", r.router)
	testenv.Run(t, "ip", "link", "add", "s0", "netns", r.server, "type", "veth", "peer", "name", "wan0", "netns", r.router)
	for _, c := range [][]string{
		{r.client, "addr", "add", "10.9.1.2/24", "dev", "c0"},
		{r.client, "link", "set", "c0", "up"},
		{r.client, "route", "add", "default", "via", "10.9.1.1"},
		{r.router, "addr", "add", "10.9.1.1/24", "dev", "gw0"},
		{r.router, "addr", "add", "192.0.2.1/24", "dev", "wan0"},
		{r.router, "link", "set", "gw0", "up"},
		{r.router, "link", "set", "wan0", "up"},
		{r.server, "addr", "add", "192.0.2.2/24", "dev", "s0"},
		{r.server, "addr", "add", "192.0.2.3/24", "dev", "s0"},
		{r.server, "link", "set", "s0", "up"},
	} {
		testenv.Run(t, "ip", append([]string{"-n"}, c...)...)
	}
	if _, err := SetIPForward(r.rpath, true); err != nil {
		t.Fatal(err)
	}
	iptNS(t, r.router, "-P", "FORWARD", "DROP")
	// The first hop works in every step: a failure is the router's.
	testenv.Run(t, "ip", "netns", "exec", r.client, "ping", "-c", "1", "-W", "2", "-q", "10.9.1.1")
	return r
}

// reaches reports whether the client's ping to dst is answered. -W bounds
// each wait, so a failing ping ends on its own, without a sleep.
func (r natRig) reaches(dst string) bool {
	return exec.Command("ip", "netns", "exec", r.client, "ping", "-c", "3", "-i", "0.2", "-W", "1", "-q", dst).Run() == nil
}

// filterRules is the router's filter table as iptables-save prints it:
// its chains with their policies (not their counters) and its rules.
func (r natRig) filterRules(t *testing.T) string {
	t.Helper()
	var keep []string
	for _, l := range strings.Split(testenv.Run(t, "ip", "netns", "exec", r.router, "iptables-save", "-t", "filter"), "\n") {
		switch f := strings.Fields(l); {
		case strings.HasPrefix(l, ":") && len(f) >= 2:
			keep = append(keep, f[0]+" "+f[1])
		case strings.HasPrefix(l, "-"):
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestRootNATHonoursDockerUser: the admin forbids 192.0.2.2 in DOCKER-USER,
// where Docker tells admins to put their policy. A lab's NAT must not
// bypass it: its traffic to 192.0.2.3 is forwarded, to 192.0.2.2 dropped,
// after the first apply, after a re-apply, and after Docker re-made its
// chains (inserting its jumps again, one of them after the lab's). Delete
// leaves the filter table as it found it.
func TestRootNATHonoursDockerUser(t *testing.T) {
	r := newNATRig(t)
	iptNS(t, r.router, "-N", "DOCKER-USER")
	iptNS(t, r.router, "-A", "DOCKER-USER", "-d", "192.0.2.2/32", "-j", "DROP")
	iptNS(t, r.router, "-A", "DOCKER-USER", "-j", "RETURN")
	iptNS(t, r.router, "-A", "FORWARD", "-j", "DOCKER-USER")
	before := r.filterRules(t)

	rules := MasqueradeRules(netip.MustParsePrefix("10.9.1.0/24"), nil, "gw0")
	check := func(when string) {
		t.Helper()
		if !r.reaches("192.0.2.3") {
			t.Errorf("%s: the lab does not reach 192.0.2.3 through NAT:\n%s", when, r.filterRules(t))
		}
		if r.reaches("192.0.2.2") {
			t.Errorf("%s: the lab reaches 192.0.2.2, which DOCKER-USER drops:\n%s", when, r.filterRules(t))
		}
	}
	if err := Ensure(r.rpath, lab, rules); err != nil {
		t.Fatal(err)
	}
	check("after the first Ensure")

	applied := saveWithCounters(t, r.router)
	if err := Ensure(r.rpath, lab, rules); err != nil {
		t.Fatal(err)
	}
	if again := saveWithCounters(t, r.router); again != applied {
		t.Errorf("a second Ensure rewrote rules:\nbefore\n%s\nafter\n%s", applied, again)
	}
	check("after a second Ensure")

	// Docker restarting: its DOCKER-USER jump goes back on top, and a
	// chain of its own is jumped to from the end of FORWARD, now after
	// the lab's jump.
	iptNS(t, r.router, "-D", "FORWARD", "-j", "DOCKER-USER")
	iptNS(t, r.router, "-I", "FORWARD", "1", "-j", "DOCKER-USER")
	iptNS(t, r.router, "-N", "DOCKER-FORWARD")
	iptNS(t, r.router, "-A", "FORWARD", "-j", "DOCKER-FORWARD")
	if ok, err := Converged(r.rpath, lab, rules); err != nil || ok {
		t.Errorf("Converged = %v, %v with the lab's jump above Docker's", ok, err)
	}
	if err := Ensure(r.rpath, lab, rules); err != nil {
		t.Fatal(err)
	}
	check("after Docker re-made its chains and a third Ensure")
	fwd := chainRules(t, r.router, "filter", "FORWARD")
	if len(fwd) == 0 || !strings.Contains(fwd[len(fwd)-1], "ovslab:"+lab) {
		t.Errorf("the lab's jump is not the last rule of FORWARD, after Docker's:\n%s", strings.Join(fwd, "\n"))
	}

	if err := Delete(r.rpath, lab); err != nil {
		t.Fatal(err)
	}
	iptNS(t, r.router, "-D", "FORWARD", "-j", "DOCKER-FORWARD")
	iptNS(t, r.router, "-X", "DOCKER-FORWARD")
	if after := r.filterRules(t); after != before {
		t.Errorf("Delete left the filter table\n%s\nwant it as before\n%s", after, before)
	}
}
