package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/ovs"
)

// reboot does to the host what a reboot does: containers stop, OVS stops
// (its internal ports and their addresses go with it), the firewall and
// /run are emptied; then the host's boot config brings eth0 back as the
// user configured it (address, default route, MTU 1500, ip_forward 0,
// arp_ignore 0, the user's own NAT rule) and OVS starts again on its
// persistent database.
func (h *realHost) reboot(t *testing.T) {
	t.Helper()
	testenv.Run(t, "docker", "stop", "-t", "1", h.c1, h.c2)
	if err := ovs.StopDaemons(h.runDir); err != nil {
		t.Fatalf("stop OVS: %v", err)
	}
	for _, table := range []string{"nat", "filter"} {
		h.inNs(t, "iptables", "-t", table, "-F")
		h.inNs(t, "iptables", "-t", table, "-X")
	}
	if err := os.RemoveAll(h.state()); err != nil {
		t.Fatal(err)
	}
	// Boot config.
	testenv.Run(t, "ip", "-n", h.ns, "link", "set", "eth0", "mtu", "1500", "up")
	testenv.Run(t, "ip", "-n", h.ns, "addr", "replace", underlay1, "dev", "eth0")
	testenv.Run(t, "ip", "-n", h.ns, "route", "replace", "default", "via", "172.16.10.1", "dev", "eth0")
	h.inNs(t, "sysctl", "-qw", "net.ipv4.ip_forward=0", "net.ipv4.conf.eth0.arp_ignore=0")
	h.inNs(t, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.168.99.0/24", "-j", "MASQUERADE")
	ctx, cancel := context.WithTimeout(context.Background(), startLimit)
	defer cancel()
	if err := ovs.StartDaemons(ctx, h.runDir, "/run/netns/"+h.ns); err != nil {
		t.Fatalf("start OVS again: %v", err)
	}
	if got := h.get(t, "bridge", "br1", "external_ids:ovslab-lab"); got != h.lab {
		t.Fatalf("after the reboot br1 is marked %q, want %s: the database did not persist", got, h.lab)
	}
}

// TestRootRealHostReboot: after a reboot of a real host, down removes the
// lab from its marks, and up brings it back to a green check; with only
// the state lost, up adopts the lab and down from the marks alone leaves
// the host as it was.
func TestRootRealHostReboot(t *testing.T) {
	h := newRealHost(t, "rb", true)
	// Both containers on this host, so check has nothing to probe on the
	// absent host2 (which then carries no network: no tunnel either).
	data, err := os.ReadFile(h.file)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), h.c2+": {host: host2", h.c2+": {host: host1", 1)
	if text == string(data) {
		t.Fatal("test file does not put the second container on host2")
	}
	if err := os.WriteFile(h.file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	up := func() {
		t.Helper()
		if r := h.ovslab(t, "up", h.file, "--ovsdb", h.db); r.code != 0 {
			t.Fatalf("up: %s", r)
		}
	}
	check := func(when string) {
		t.Helper()
		if r := h.ovslab(t, "check", h.lab, "--ovsdb", h.db); r.code != 0 {
			// What status says, and OVS's own view, name the broken piece.
			st := h.ovslab(t, "status", h.lab, "--ovsdb", h.db)
			ovsShow, _ := exec.Command("ovs-vsctl", "--db=unix:"+strings.TrimPrefix(h.db, "unix:"), "show").CombinedOutput()
			links, _ := exec.Command("ip", "-n", h.ns, "-d", "link").CombinedOutput()
			t.Errorf("check %s: %s\nstatus: %s\novs-vsctl show:\n%s\nip -d link:\n%s", when, r, st, ovsShow, links)
		}
	}

	up()
	check("before the reboot")
	h.reboot(t)
	t.Run("down before up", func(t *testing.T) {
		t.Setenv("OVS_RUNDIR", h.runDir) // where status looks for a real host's OVSDB
		r := h.ovslab(t, "status")
		if !strings.Contains(r.stdout, h.lab) || !strings.Contains(r.stdout, "no state: found by its marks") {
			t.Errorf("status after the reboot should list %s found by its marks:\n%s", h.lab, r)
		}
		r = h.ovslab(t, "down", h.lab, "--ovsdb", h.db)
		if r.code != 0 || !strings.Contains(r.stderr, "removed by its marks") {
			t.Fatalf("down after the reboot: want exit 0 saying it worked from the marks, got %s", r)
		}
		h.assertUntouched(t)
		h.assertAddrOnEth0(t)
	})

	up()
	h.reboot(t)
	t.Run("up after the reboot", func(t *testing.T) {
		up()
		check("after the reboot")
		for _, c := range []string{h.c1, h.c2} {
			if got := strings.TrimSpace(testenv.Run(t, "docker", "inspect", "-f", "{{.State.Status}}", c)); got != "running" {
				t.Errorf("%s is %s after up, want running", c, got)
			}
		}
		if rules := h.natRules(t); !strings.Contains(rules, "ovslab:"+h.lab) {
			t.Errorf("no NAT rule of the lab after up:\n%s", rules)
		}
		if addr, route := h.hasAddr(t, "br-phy"); !addr || !route {
			t.Errorf("br-phy: underlay address %v, default route %v; want both\n%s", addr, route, testenv.Run(t, "ip", "-n", h.ns, "-4", "route"))
		}
	})
	// Without a reboot the underlay address and routes are still on br-phy
	// and the NIC has the lab's MTU: only OVSDB knows what to put back.
	t.Run("state lost without a reboot", func(t *testing.T) {
		if err := os.RemoveAll(h.state()); err != nil {
			t.Fatal(err)
		}
		up()
		check("after the state was lost")
		if addr, route := h.hasAddr(t, "br-phy"); !addr || !route {
			t.Errorf("br-phy: underlay address %v, default route %v; want both", addr, route)
		}
		if err := os.RemoveAll(h.state()); err != nil {
			t.Fatal(err)
		}
	})
	r := h.ovslab(t, "down", h.lab, "--ovsdb", h.db)
	if r.code != 0 || !strings.Contains(r.stderr, "removed by its marks") {
		t.Fatalf("down without state: want exit 0 saying it worked from the marks, got %s", r)
	}
	h.assertUntouched(t)
	h.assertAddrOnEth0(t)
}
