package labs

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// dropLine removes the one line of s that contains sub.
func dropLine(t *testing.T, s, sub string) string {
	t.Helper()
	var out []string
	n := 0
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			n++
			continue
		}
		out = append(out, l)
	}
	if n != 1 {
		t.Fatalf("%d lines contain %q, want 1", n, sub)
	}
	return strings.Join(out, "\n")
}

func TestRootConvergeNoOpUp(t *testing.T) {
	requireLabTools(t)
	const lab, p = "cv-noop", "cvn"
	cleanupLab(t, lab)
	text := labYAML(t, lab, p)
	t.Logf("first up took %s", upTimed(t, text))

	names := []string{p + "doc1", p + "doc2", p + "doc3", p + "doc4"}
	ids := containerIDs(t, names...)
	for n, id := range ids {
		if id == "" {
			t.Fatalf("container %s missing after the first up: nothing to compare", n)
		}
	}
	rows := map[string]map[string]string{"host1": ovsRows(t, lab, "host1"), "host2": ovsRows(t, lab, "host2")}
	for h, r := range rows {
		if r["bridge br1"] == "" {
			t.Fatalf("%s has no bridge br1 after the first up: nothing to compare (%v)", h, r)
		}
	}
	rules := iptablesSave(t, lab, "host1")
	if n := countLines(rules, "-s 10.0.1.0/24", "MASQUERADE", "ovslab:"+lab); n != 1 {
		t.Fatalf("%d MASQUERADE rules for net1 after the first up, want 1:\n%s", n, strings.Join(rules, "\n"))
	}

	t.Logf("no-op up took %s", upTimed(t, text))

	sameExcept(t, "container", ids, containerIDs(t, names...), nil)
	for h, before := range rows {
		after := ovsRows(t, lab, h)
		sameExcept(t, h+" OVSDB", before, after, nil)
		if len(after) != len(before) {
			t.Errorf("%s: %d OVSDB rows after the second up, %d before", h, len(after), len(before))
		}
	}
	after := iptablesSave(t, lab, "host1")
	if strings.Join(after, "\n") != strings.Join(rules, "\n") {
		t.Errorf("host1 iptables changed by a no-op up:\nbefore:\n%s\nafter:\n%s", strings.Join(rules, "\n"), strings.Join(after, "\n"))
	}
	seen := map[string]bool{}
	for _, l := range after {
		if strings.Contains(l, "ovslab:"+lab) && seen[l] {
			t.Errorf("duplicate rule: %s", l)
		}
		seen[l] = true
	}
	st, err := LoadState(lab)
	if err != nil || !st.Complete {
		t.Errorf("state after no-op up: %+v, %v; want complete", st, err)
	}
}

// labSnap is what "untouched" means: container IDs, OVSDB row UUIDs of
// both hosts (keyed "host table name") and host1's iptables.
type labSnap struct {
	ids, rows map[string]string
	rules     []string
}

func takeSnap(t *testing.T, lab string, names []string) labSnap {
	t.Helper()
	s := labSnap{ids: containerIDs(t, names...), rows: map[string]string{}, rules: iptablesSave(t, lab, "host1")}
	for _, h := range []string{"host1", "host2"} {
		for k, v := range ovsRows(t, lab, h) {
			s.rows[h+" "+k] = v
		}
		// br1 stays through every step: without it the snapshot is empty
		// and every comparison with it passes.
		if s.rows[h+" bridge br1"] == "" {
			t.Fatalf("snapshot of %s has no bridge br1: %v", h, s.rows)
		}
	}
	return s
}

// keeps fails for every container or OVSDB row of before that changed in
// after, except those whose key contains one of the touched substrings.
func (before labSnap) keeps(t *testing.T, after labSnap, touched ...string) {
	t.Helper()
	skip := func(k string) bool {
		for _, s := range touched {
			if strings.Contains(k, s) {
				return true
			}
		}
		return false
	}
	sameExcept(t, "container", before.ids, after.ids, skip)
	sameExcept(t, "OVSDB row", before.rows, after.rows, skip)
	kept := 0
	for k, id := range before.ids {
		if id != "" && !skip(k) {
			kept++
		}
	}
	if kept == 0 {
		t.Errorf("no container of %v is both present and untouched: nothing was compared", before.ids)
	}
}

// ctrAddrs lists the IPv4 addresses on a container's eth0.
func ctrAddrs(t *testing.T, name string) string {
	t.Helper()
	out, err := inNetnsOf(containerPid(t, name), "ip", "-4", "-o", "addr", "show", "dev", "eth0")
	if err != nil {
		t.Fatalf("addresses of %s: %v\n%s", name, err, out)
	}
	return string(out)
}

func TestRootConvergeDrift(t *testing.T) {
	requireLabTools(t)
	const lab, p = "cv-drift", "cvd"
	cleanupLab(t, lab)
	d1, d2, d3, d4 := p+"doc1", p+"doc2", p+"doc3", p+"doc4"
	names := []string{d1, d2, d3, d4}
	text := labYAML(t, lab, p)
	upTimed(t, text)
	ns1 := NetnsName(lab, "host1")
	plan1, err := mustSource(t, text).Topo.Plan("host1")
	if err != nil {
		t.Fatal(err)
	}
	vx := plan1.Bridges[0].Tunnels[0].Port // br1's tunnel to host2
	up := func(t *testing.T) {
		t.Helper()
		t.Logf("repairing up took %s", upTimed(t, text))
	}

	t.Run("a container removed by hand", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		testenv.Run(t, "docker", "rm", "-f", d3)
		up(t)
		after := takeSnap(t, lab, names)
		if id := after.ids[d3]; id == "" || id == before.ids[d3] {
			t.Errorf("%s after up: id %q, want a new container", d3, id)
		}
		before.keeps(t, after, d3)
		if a := ctrAddrs(t, d3); !strings.Contains(a, "10.0.1.20/24") {
			t.Errorf("%s did not get its address back: %s", d3, a)
		}
		mustReach(t, containerPid(t, d1), d1, "10.0.1.20")
	})
	t.Run("a container's /etc/hosts edited by hand", func(t *testing.T) {
		// The last up recorded each file's stamp. Both edits put the
		// modification time back to the nanosecond, and the second keeps
		// the size: what a cheaper test than the stamp would trust.
		path := "/proc/" + containerPid(t, d1) + "/root/etc/hosts"
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string][]byte{
			"a line added":  append(slices.Clone(want), "10.9.9.9 elsewhere\n"...),
			"the same size": bytes.ReplaceAll(want, []byte("1"), []byte("2")),
		} {
			before := takeSnap(t, lab, names)
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(path, time.Time{}, st.ModTime()); err != nil {
				t.Fatal(err)
			}
			up(t)
			before.keeps(t, takeSnap(t, lab, names))
			if got, err := os.ReadFile(path); !bytes.Equal(got, want) {
				t.Errorf("after %s and up, %s's /etc/hosts is (%v):\n%s\nwant:\n%s", name, d1, err, got, want)
			}
		}
	})
	t.Run("a vxlan port deleted by hand", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		mustVsctl(t, lab, "host1", "del-port", vx)
		up(t)
		after := takeSnap(t, lab, names)
		before.keeps(t, after, "host1 port "+vx, "host1 interface "+vx)
		for args, want := range map[string]string{
			"get interface " + vx + " type":              "vxlan",
			"get interface " + vx + " options:key":       `"5000"`,
			"get interface " + vx + " options:remote_ip": `"172.16.20.100"`,
			"get port " + vx + " protected":              "true",
			"port-to-br " + vx:                           "br1",
		} {
			if got, err := vsctl(lab, "host1", strings.Fields(args)...); got != want {
				t.Errorf("ovs-vsctl %s = %q (%v), want %q", args, got, err, want)
			}
		}
		mustReach(t, containerPid(t, d1), d1, "10.0.1.20")
	})
	t.Run("the NIC's arp_ignore reset by hand", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		conf := "/proc/sys/net/ipv4/conf/eth0/arp_ignore"
		testenv.Run(t, "ip", "netns", "exec", ns1, "sh", "-c", "echo 0 > "+conf)
		up(t)
		before.keeps(t, takeSnap(t, lab, names))
		if got := strings.TrimSpace(testenv.Run(t, "ip", "netns", "exec", ns1, "cat", conf)); got != "1" {
			t.Errorf("host1 eth0 arp_ignore = %s after up, want 1", got)
		}
	})
	t.Run("the MASQUERADE rule deleted by hand", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		out := testenv.Run(t, "ip", "netns", "exec", ns1, "iptables", "-t", "nat", "-L", "POSTROUTING", "-n", "--line-numbers")
		num := ""
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) > 0 && strings.Contains(l, "MASQUERADE") && strings.Contains(l, "10.0.1.0/24") {
				num = f[0]
			}
		}
		if num == "" {
			t.Fatalf("no MASQUERADE for 10.0.1.0/24 in %s:\n%s", ns1, out)
		}
		testenv.Run(t, "ip", "netns", "exec", ns1, "iptables", "-t", "nat", "-D", "POSTROUTING", num)
		up(t)
		after := takeSnap(t, lab, names)
		before.keeps(t, after)
		if n := countLines(after.rules, "-s 10.0.1.0/24", "MASQUERADE", "ovslab:"+lab); n != 1 {
			t.Errorf("%d MASQUERADE rules for 10.0.1.0/24 after up, want 1", n)
		}
		if got, want := strings.Join(after.rules, "\n"), strings.Join(before.rules, "\n"); got != want {
			t.Errorf("iptables after repair differ from before the drift:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("underlay MTU lowered by hand", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		// ovs-vswitchd puts eth0 back to its mtu_request by itself, so the
		// router's end of the link is lowered too: nobody but up fixes it.
		router := NetnsName(lab, "router")
		testenv.Run(t, "ip", "-n", ns1, "link", "set", "eth0", "mtu", "1500")
		testenv.Run(t, "ip", "-n", router, "link", "set", "host1", "mtu", "1500")
		// Small packets pass and full-size DF ones vanish: the drift took.
		mustReach(t, containerPid(t, d1), d1, "10.0.1.20")
		mustNotReach(t, containerPid(t, d1), d1, "10.0.1.20", "-M", "do", "-s", "1472")
		up(t)
		before.keeps(t, takeSnap(t, lab, names))
		for ns, link := range map[string]string{ns1: "eth0", router: "host1"} {
			if out := testenv.Run(t, "ip", "-n", ns, "-o", "link", "show", link); !strings.Contains(out, "mtu 1554 ") {
				t.Errorf("%s %s after up: %s, want mtu 1554", ns, link, out)
			}
		}
		mustReach(t, containerPid(t, d1), d1, "10.0.1.20", "-M", "do", "-s", "1472")
	})
	t.Run("an address changed in the file", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		text = edit(t, text, "address: 10.0.1.20}", "address: 10.0.1.30}")
		up(t)
		before.keeps(t, takeSnap(t, lab, names))
		if a := ctrAddrs(t, d3); !strings.Contains(a, "10.0.1.30/24") || strings.Contains(a, "10.0.1.20") {
			t.Errorf("%s addresses after up: %s, want 10.0.1.30/24 only", d3, a)
		}
		mustReach(t, containerPid(t, d1), d1, "10.0.1.30")
	})
	t.Run("a container removed from the file", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		text = dropLine(t, text, d2+":")
		up(t)
		after := takeSnap(t, lab, names)
		if after.ids[d2] != "" {
			t.Errorf("%s still exists after up", d2)
		}
		veth := plan1.Containers[1].Interfaces[0].HostVeth
		if plan1.Containers[1].Name != d2 {
			t.Fatalf("plan's second container on host1 is %s, want %s", plan1.Containers[1].Name, d2)
		}
		for _, k := range []string{"host1 port " + veth, "host1 interface " + veth} {
			if after.rows[k] != "" {
				t.Errorf("OVSDB %s of %s still there after up", k, d2)
			}
			if before.rows[k] == "" {
				t.Errorf("OVSDB %s of %s was not there before: the check tests nothing", k, d2)
			}
		}
		before.keeps(t, after, d2, veth)
	})
	t.Run("a network removed from the file", func(t *testing.T) {
		before := takeSnap(t, lab, names)
		text = edit(t, text, "  net2:\n    subnet: 10.0.2.0/24\n    vni: 6000\n    bridge: br2\n    gateway: {host: host1, address: 10.0.2.1, nat: true}\n", "")
		text = dropLine(t, text, d4+":")
		up(t)
		after := takeSnap(t, lab, names)
		for _, h := range []string{"host1", "host2"} {
			if before.rows[h+" bridge br2"] == "" {
				t.Errorf("%s had no br2 before: the check tests nothing", h)
			}
			if after.rows[h+" bridge br2"] != "" {
				t.Errorf("%s still has br2", h)
			}
		}
		if after.ids[d4] != "" {
			t.Errorf("%s still exists after up", d4)
		}
		if n := countLines(after.rules, "10.0.2."); n != 0 {
			t.Errorf("%d iptables rules still mention net2:\n%s", n, strings.Join(after.rules, "\n"))
		}
		if n := countLines(after.rules, "net2"); n != 0 {
			t.Errorf("%d iptables rules still name the gateway port net2", n)
		}
		if n := countLines(after.rules, "-s 10.0.1.0/24", "MASQUERADE"); n != 1 {
			t.Errorf("%d MASQUERADE rules for net1, want 1", n)
		}
		before.keeps(t, after, "br2", "net2", "vx6000", d2, d4)
		mustReach(t, containerPid(t, d3), d3, "10.0.1.1")
		mustReach(t, containerPid(t, d1), d1, "10.0.1.30")
	})

	if err := Down(context.Background(), lab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertGone(t, lab)
}
