package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/ovs"
)

// realHost is a real machine emulated by hand, as the tests of real mode
// need one: a netns with its own OVS daemons and an uplink eth0 to a router
// netns, plus a bridge and a NAT rule of the user's that ovslab must leave
// alone. ovslab runs inside it through `ip netns exec`, as on a real host,
// with a /run/ovslab of its own (stateDir bind-mounted in the mount
// namespace ip netns exec makes): a real machine does not see the labs of
// the other machines, nor of other tests' hosts running at the same time.
type realHost struct {
	ns, runDir, db string
	stateDir       string // this host's /run/ovslab
	lab, file      string
	c1, c2         string // containers of host1 and of host2
}

const (
	underlay1  = "172.16.10.100/24"
	userRule   = "-s 192.168.99.0/24 -j MASQUERADE"
	startLimit = 2 * time.Minute
)

// newRealHost builds the host. With addr the uplink holds host1's underlay
// address and a default route via the router, so ovslab finds host1 by
// it; without, the file names eth0 as host1's interface instead.
func newRealHost(t *testing.T, tag string, addr bool) *realHost {
	t.Helper()
	return newRealHostLab(t, fmt.Sprintf("rt%s-%d", tag, time.Now().UnixNano()%1_000_000), addr)
}

// newRealHostLab is newRealHost with the lab's name given.
func newRealHostLab(t *testing.T, lab string, addr bool) *realHost {
	t.Helper()
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "iptables", "ip")
	testenv.RequireDocker(t)
	h := &realHost{lab: lab}
	h.c1, h.c2 = h.lab+"-doc1", h.lab+"-doc3"

	h.ns = testenv.Netns(t, "ovslab-rh")
	router := testenv.Netns(t, "ovslab-rr")
	testenv.Run(t, "ip", "-n", h.ns, "link", "add", "eth0", "mtu", "1500", "type", "veth", "peer", "name", "r0", "netns", router)
	testenv.Run(t, "ip", "-n", router, "addr", "add", "172.16.10.1/24", "dev", "r0")
	testenv.Run(t, "ip", "-n", router, "link", "set", "r0", "up")
	testenv.Run(t, "ip", "-n", h.ns, "link", "set", "eth0", "up")
	if addr {
		testenv.Run(t, "ip", "-n", h.ns, "addr", "add", underlay1, "dev", "eth0")
		testenv.Run(t, "ip", "-n", h.ns, "route", "add", "default", "via", "172.16.10.1", "dev", "eth0")
	}

	h.startOVS(t)

	// What the user had before ovslab came.
	h.vsctl(t, "add-br", "user-br", "--", "set", "bridge", "user-br", "datapath_type=netdev")
	h.inNs(t, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.168.99.0/24", "-j", "MASQUERADE")
	h.inNs(t, "sysctl", "-qw", "net.ipv4.ip_forward=0")
	h.inNs(t, "sysctl", "-qw", "net.ipv4.conf.eth0.arp_ignore=0")

	iface := ""
	if !addr {
		iface = ", interface: eth0"
	}
	h.file = filepath.Join(t.TempDir(), "topology.yaml")
	topo := fmt.Sprintf(`name: %s
hosts:
  host1: {underlay: %s, gateway: 172.16.10.1, datapath: netdev%s}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1, datapath: netdev}
networks:
  net1:
    subnet: 10.0.1.0/24
    vni: 5000
    bridge: br1
    gateway: {host: host1, nat: true}
containers:
  %s: {host: host1, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.10}
  %s: {host: host2, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.20}
`, h.lab, underlay1, iface, h.c1, h.c2)
	if err := os.WriteFile(h.file, []byte(topo), 0o644); err != nil {
		t.Fatal(err)
	}

	// Registered last, so it runs first: the lab goes while its host's
	// netns and daemons still exist; then whatever a failed down left.
	t.Cleanup(func() {
		r := runCmd(t, os.TempDir(), h.argv("down", h.lab, "--ovsdb", h.db)...)
		if r.code != 0 {
			t.Logf("cleanup: down: %s", r)
		}
		if ids, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=ovslab.lab="+h.lab).Output(); len(ids) > 0 {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, strings.Fields(string(ids))...)...).Run()
		}
	})
	return h
}

// ovslab runs the binary inside the host's netns, as a real host runs it.
func (h *realHost) ovslab(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, t.TempDir(), h.argv(args...)...)
}

// argv is the command line running ovslab with args on the host.
func (h *realHost) argv(args ...string) []string {
	return append([]string{"ip", "netns", "exec", h.ns, "sh", "-c",
		`mkdir -p /run/ovslab && mount --bind "$0" /run/ovslab && exec "$@"`, h.stateDir, bin}, args...)
}

// state is the host's state directory of its lab.
func (h *realHost) state() string { return filepath.Join(h.stateDir, h.lab) }

func (h *realHost) inNs(t *testing.T, args ...string) string {
	t.Helper()
	return testenv.Run(t, "ip", append([]string{"netns", "exec", h.ns}, args...)...)
}

func (h *realHost) vsctl(t *testing.T, args ...string) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "ovs-vsctl", append([]string{"--db=" + h.db}, args...)...))
}

// get reads one OVSDB column (or map key) without quotes; "" when the
// record does not exist.
func (h *realHost) get(t *testing.T, table, record, column string) string {
	t.Helper()
	return strings.Trim(h.vsctl(t, "--if-exists", "get", table, record, column), `"`)
}

func (h *realHost) mtu(t *testing.T, link string) int {
	t.Helper()
	var l []struct {
		MTU int `json:"mtu"`
	}
	if err := json.Unmarshal([]byte(testenv.Run(t, "ip", "-n", h.ns, "-j", "link", "show", link)), &l); err != nil || len(l) != 1 {
		t.Fatalf("ip link show %s: %v", link, err)
	}
	return l[0].MTU
}

func (h *realHost) ipForward(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(h.inNs(t, "cat", "/proc/sys/net/ipv4/ip_forward"))
}

func (h *realHost) arpIgnore(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(h.inNs(t, "cat", "/proc/sys/net/ipv4/conf/eth0/arp_ignore"))
}

// hasAddr reports whether link holds the underlay address, and whether the
// default route goes via the router on link.
func (h *realHost) hasAddr(t *testing.T, link string) (addr, route bool) {
	t.Helper()
	a := testenv.Run(t, "ip", "-n", h.ns, "-4", "-o", "addr", "show")
	addr = regexp.MustCompile(`(?m)^\d+: ` + regexp.QuoteMeta(link) + `\s+inet ` + regexp.QuoteMeta(underlay1) + ` `).MatchString(a)
	r := testenv.Run(t, "ip", "-n", h.ns, "-4", "route", "show", "default")
	route = strings.Contains(r, "default via 172.16.10.1 dev "+link+" ")
	return addr, route
}

func (h *realHost) natRules(t *testing.T) string {
	t.Helper()
	return h.inNs(t, "iptables", "-t", "nat", "-S") + h.inNs(t, "iptables", "-S")
}

func (h *realHost) containerExists(t *testing.T, name string) bool {
	t.Helper()
	return exec.Command("docker", "inspect", "--type", "container", name).Run() == nil
}

func (h *realHost) labContainers(t *testing.T) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--filter", "label=ovslab.lab="+h.lab))
}

// assertUntouched checks that nothing of the lab exists and the user's
// host is as it was: the state before up, and the state after down.
func (h *realHost) assertUntouched(t *testing.T) {
	t.Helper()
	if brs := strings.Fields(h.vsctl(t, "list-br")); strings.Join(brs, " ") != "user-br" {
		t.Errorf("bridges = %v, want only the user's user-br", brs)
	}
	for _, table := range []string{"bridge", "port", "interface"} {
		if rows := h.vsctl(t, "--columns=name", "find", table, "external_ids:ovslab-lab="+h.lab); rows != "" {
			t.Errorf("%s rows of the lab left: %s", table, rows)
		}
	}
	if ids := h.labContainers(t); ids != "" {
		t.Errorf("containers of the lab exist: %s", ids)
	}
	rules := h.natRules(t)
	if strings.Contains(rules, "ovslab:"+h.lab) {
		t.Errorf("iptables rules of the lab exist:\n%s", rules)
	}
	if !strings.Contains(rules, "-A POSTROUTING "+userRule) {
		t.Errorf("the user's rule %q is gone:\n%s", userRule, rules)
	}
	if got := h.ipForward(t); got != "0" {
		t.Errorf("ip_forward = %s, want the user's 0", got)
	}
	if got := h.mtu(t, "eth0"); got != 1500 {
		t.Errorf("eth0 MTU = %d, want the user's 1500", got)
	}
	if got := h.arpIgnore(t); got != "0" {
		t.Errorf("eth0 arp_ignore = %s, want the user's 0", got)
	}
}

func (h *realHost) assertAddrOnEth0(t *testing.T) {
	t.Helper()
	if addr, route := h.hasAddr(t, "eth0"); !addr || !route {
		t.Errorf("eth0: underlay %s present=%v, default route via 172.16.10.1 present=%v; want both\n%s%s", underlay1, addr, route,
			testenv.Run(t, "ip", "-n", h.ns, "-4", "addr"), testenv.Run(t, "ip", "-n", h.ns, "-4", "route"))
	}
}

func TestRootRealHostUpDown(t *testing.T) {
	h := newRealHost(t, "ud", true)
	h.assertUntouched(t)

	// No --host: ovslab must find host1 by its address.
	if r := h.ovslab(t, "up", h.file, "--ovsdb", h.db); r.code != 0 {
		t.Fatalf("up: %s", r)
	}
	t.Run("ovs", func(t *testing.T) {
		if got := h.get(t, "bridge", "br1", "datapath_type"); got != "netdev" {
			t.Errorf("br1 datapath_type = %q, want netdev", got)
		}
		if got := h.get(t, "bridge", "br1", "external_ids:ovslab-lab"); got != h.lab {
			t.Errorf("br1 external_ids:ovslab-lab = %q, want %s", got, h.lab)
		}
		want := map[[3]string]string{
			{"interface", "vx5000-host2", "type"}:              "vxlan",
			{"interface", "vx5000-host2", "options:key"}:       "5000",
			{"interface", "vx5000-host2", "options:remote_ip"}: "172.16.20.100",
			{"port", "vx5000-host2", "protected"}:              "true",
			{"interface", "net1", "type"}:                      "internal",
		}
		for k, v := range want {
			if got := h.get(t, k[0], k[1], k[2]); got != v {
				t.Errorf("%s %s %s = %q, want %q", k[0], k[1], k[2], got, v)
			}
		}
		for port, br := range map[string]string{"vx5000-host2": "br1", "net1": "br1", "eth0": "br-phy"} {
			if got := h.vsctl(t, "port-to-br", port); got != br {
				t.Errorf("port %s is on %q, want %s", port, got, br)
			}
		}
	})
	t.Run("underlay on br-phy", func(t *testing.T) {
		addr, route := h.hasAddr(t, "br-phy")
		if !addr {
			t.Errorf("%s is not on br-phy:\n%s", underlay1, testenv.Run(t, "ip", "-n", h.ns, "-4", "addr"))
		}
		if !route {
			t.Errorf("no default route via 172.16.10.1 on br-phy:\n%s", testenv.Run(t, "ip", "-n", h.ns, "-4", "route"))
		}
		if got := h.mtu(t, "eth0"); got != 1554 {
			t.Errorf("eth0 MTU = %d, want 1554", got)
		}
		// Only br-phy answers ARP for the VTEP address (see muteNICARP).
		if got := h.arpIgnore(t); got != "1" {
			t.Errorf("eth0 arp_ignore = %s, want 1", got)
		}
	})
	t.Run("containers", func(t *testing.T) {
		out := testenv.Run(t, "docker", "inspect", "-f", `{{.HostConfig.NetworkMode}} {{index .Config.Labels "ovslab.host"}}`, h.c1)
		if got := strings.TrimSpace(out); got != "none host1" {
			t.Errorf("%s: network mode and ovslab.host = %q, want \"none host1\"", h.c1, got)
		}
		if h.containerExists(t, h.c2) {
			t.Errorf("%s (host2's) was created on host1", h.c2)
		}
	})
	t.Run("nat", func(t *testing.T) {
		masq := regexp.MustCompile(`-A POSTROUTING -s 10\.0\.1\.0/24 .*--comment "?ovslab:` + regexp.QuoteMeta(h.lab) + `"? -j MASQUERADE`)
		if rules := h.natRules(t); !masq.MatchString(rules) {
			t.Errorf("no commented MASQUERADE for 10.0.1.0/24:\n%s", rules)
		}
		if got := h.ipForward(t); got != "1" {
			t.Errorf("ip_forward = %s, want 1", got)
		}
	})

	t.Run("second up changes nothing", func(t *testing.T) {
		brUUID := h.get(t, "bridge", "br1", "_uuid")
		cid := strings.TrimSpace(testenv.Run(t, "docker", "inspect", "-f", "{{.Id}}", h.c1))
		if r := h.ovslab(t, "up", h.file, "--ovsdb", h.db); r.code != 0 {
			t.Fatalf("second up: %s", r)
		}
		if got := h.get(t, "bridge", "br1", "_uuid"); got != brUUID {
			t.Errorf("br1 UUID %s became %s", brUUID, got)
		}
		if got := strings.TrimSpace(testenv.Run(t, "docker", "inspect", "-f", "{{.Id}}", h.c1)); got != cid {
			t.Errorf("container %s was recreated: %s became %s", h.c1, cid, got)
		}
	})

	if r := h.ovslab(t, "down", h.file, "--ovsdb", h.db); r.code != 0 {
		t.Fatalf("down: %s", r)
	}
	h.assertUntouched(t)
	h.assertAddrOnEth0(t)
	if _, err := os.Stat(h.state()); !os.IsNotExist(err) {
		t.Errorf("state /run/ovslab/%s left after down (%v)", h.lab, err)
	}
}

// TestRootRealHostRefusesUnmarkedBridge: a bridge of the user's with the
// lab's bridge name is an error found before anything changes.
func TestRootRealHostRefusesUnmarkedBridge(t *testing.T) {
	h := newRealHost(t, "ub", true)
	h.vsctl(t, "add-br", "br1", "--", "set", "bridge", "br1", "datapath_type=netdev")
	uuid := h.get(t, "bridge", "br1", "_uuid")

	r := h.ovslab(t, "up", h.file, "--ovsdb", h.db)
	if r.code == 0 || !strings.Contains(r.stderr, "br1") {
		t.Errorf("up over the user's br1: want a failure naming br1, got %s", r)
	}
	if got := h.get(t, "bridge", "br1", "_uuid"); got != uuid {
		t.Errorf("the user's br1 %s was replaced by %s", uuid, got)
	}
	if ids := h.vsctl(t, "get", "bridge", "br1", "external_ids"); ids != "{}" {
		t.Errorf("the user's br1 got external_ids %s", ids)
	}
	if h.get(t, "bridge", "br-phy", "_uuid") != "" {
		t.Errorf("br-phy was created")
	}
	if ids := h.labContainers(t); ids != "" {
		t.Errorf("containers of the lab were created: %s", ids)
	}
	if rules := h.natRules(t); strings.Contains(rules, "ovslab:"+h.lab) {
		t.Errorf("iptables rules of the lab were added:\n%s", rules)
	}
	if got := h.mtu(t, "eth0"); got != 1500 {
		t.Errorf("eth0 MTU = %d, want it untouched at 1500", got)
	}
	if got := h.ipForward(t); got != "0" {
		t.Errorf("ip_forward = %s, want it untouched at 0", got)
	}
	h.assertAddrOnEth0(t)
}

// TestRootRealHostOVSDBUnreachable: a wrong --ovsdb is one clear line and
// exit 1, found before anything changes.
func TestRootRealHostOVSDBUnreachable(t *testing.T) {
	h := newRealHost(t, "nd", true)
	const endpoint = "unix:/nonexistent/db.sock"
	r := h.ovslab(t, "up", h.file, "--ovsdb", endpoint)
	if r.code != 1 {
		t.Errorf("exit %d, want 1\n%s", r.code, r)
	}
	if msg := strings.TrimSpace(r.stderr); strings.Contains(msg, "\n") || !strings.Contains(msg, endpoint) {
		t.Errorf("want one line naming %s, got:\n%s", endpoint, r.stderr)
	}
	h.assertUntouched(t)
	h.assertAddrOnEth0(t)
	if _, err := os.Stat(h.state()); !os.IsNotExist(err) {
		t.Errorf("refused up left /run/ovslab/%s (%v)", h.lab, err)
	}
}

// TestRootRealHostChoosesHost: a machine that holds no underlay address
// must be told which host it is; told, it applies that host's part.
func TestRootRealHostChoosesHost(t *testing.T) {
	h := newRealHost(t, "ch", false)

	r := h.ovslab(t, "up", h.file, "--ovsdb", h.db)
	if r.code != 2 || !strings.Contains(r.stderr, "host1, host2") || !strings.Contains(r.stderr, "--host") {
		t.Errorf("up without --host on a machine without an underlay address: want exit 2 listing host1, host2 and --host, got %s", r)
	}
	h.assertUntouched(t)

	if r := h.ovslab(t, "up", h.file, "--host", "host1", "--ovsdb", h.db); r.code != 0 {
		t.Fatalf("up --host host1: %s", r)
	}
	if got := h.get(t, "bridge", "br1", "external_ids:ovslab-lab"); got != h.lab {
		t.Errorf("br1 external_ids:ovslab-lab = %q, want %s", got, h.lab)
	}
	if got := h.vsctl(t, "port-to-br", "eth0"); got != "br-phy" {
		t.Errorf("eth0 is on %q, want br-phy", got)
	}
	if addr, _ := h.hasAddr(t, "br-phy"); !addr {
		t.Errorf("%s is not on br-phy:\n%s", underlay1, testenv.Run(t, "ip", "-n", h.ns, "-4", "addr"))
	}
	out := testenv.Run(t, "docker", "inspect", "-f", `{{index .Config.Labels "ovslab.host"}}`, h.c1)
	if got := strings.TrimSpace(out); got != "host1" {
		t.Errorf("%s: ovslab.host = %q, want host1", h.c1, got)
	}
	if h.containerExists(t, h.c2) {
		t.Errorf("%s (host2's) was created", h.c2)
	}
	if r := h.ovslab(t, "down", h.lab, "--ovsdb", h.db); r.code != 0 {
		t.Fatalf("down: %s", r)
	}
	h.assertUntouched(t)
}

// TestRootRealHostSystemDatapathNeedsModule: the default datapath needs the
// kernel module; without it, up says so and suggests netdev, changing
// nothing.
func TestRootRealHostSystemDatapathNeedsModule(t *testing.T) {
	if _, err := os.Stat("/sys/module/openvswitch"); err == nil {
		t.Skip("this kernel has the openvswitch module: datapath system works here")
	}
	h := newRealHost(t, "sy", true)
	data, err := os.ReadFile(h.file)
	if err != nil {
		t.Fatal(err)
	}
	sys := strings.Replace(string(data), "gateway: 172.16.10.1, datapath: netdev", "gateway: 172.16.10.1", 1)
	if sys == string(data) {
		t.Fatal("test file does not set host1's datapath")
	}
	if err := os.WriteFile(h.file, []byte(sys), 0o644); err != nil {
		t.Fatal(err)
	}
	r := h.ovslab(t, "up", h.file, "--ovsdb", h.db)
	if r.code != 1 || !strings.Contains(r.stderr, "openvswitch kernel module") || !strings.Contains(r.stderr, "datapath: netdev") {
		t.Errorf("want exit 1 naming the missing module and suggesting datapath: netdev, got:\n%s", r)
	}
	h.assertUntouched(t)
	h.assertAddrOnEth0(t)
	if _, err := os.Stat(h.state()); !os.IsNotExist(err) {
		t.Errorf("refused up left /run/ovslab/%s (%v)", h.lab, err)
	}
}

// startOVS gives the host its own state dir and its own ovsdb-server and
// ovs-vswitchd inside its netns, stopped when the test ends.
func (h *realHost) startOVS(t *testing.T) {
	t.Helper()
	h.runDir = filepath.Join(t.TempDir(), "ovs")
	h.stateDir = t.TempDir()
	h.db = ovs.Endpoint(h.runDir)
	ctx, cancel := context.WithTimeout(context.Background(), startLimit)
	defer cancel()
	t.Cleanup(func() {
		if err := ovs.StopDaemons(h.runDir); err != nil {
			t.Logf("cleanup: stop OVS daemons: %v", err)
		}
	})
	if err := ovs.StartDaemons(ctx, h.runDir, "/run/netns/"+h.ns); err != nil {
		t.Fatalf("OVS daemons for %s: %v", h.ns, err)
	}
}
