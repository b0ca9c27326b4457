package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// newVMRealHost is newRealHost for the test VM: a netns with its own OVS
// and an uplink eth0 (holding host1's underlay address) to a router netns,
// a bridge, NAT rule and ip_forward of the user's, and a lab without
// containers (no dockerd in the VM) that leaves the datapath to its
// real-mode default, the kernel's.
func newVMRealHost(t *testing.T) *realHost {
	t.Helper()
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-dpctl", "iptables", "ip")
	h := &realHost{lab: fmt.Sprintf("vmrh-%d", time.Now().UnixNano()%1_000_000)}
	h.ns = testenv.Netns(t, "vm-rh")
	router := testenv.Netns(t, "vm-rr")
	testenv.Run(t, "ip", "-n", h.ns, "link", "add", "eth0", "mtu", "1500", "type", "veth", "peer", "name", "r0", "netns", router)
	testenv.Run(t, "ip", "-n", router, "addr", "add", "172.16.10.1/24", "dev", "r0")
	testenv.Run(t, "ip", "-n", router, "link", "set", "r0", "up")
	testenv.Run(t, "ip", "-n", h.ns, "link", "set", "eth0", "up")
	testenv.Run(t, "ip", "-n", h.ns, "addr", "add", underlay1, "dev", "eth0")
	testenv.Run(t, "ip", "-n", h.ns, "route", "add", "default", "via", "172.16.10.1", "dev", "eth0")

	h.startOVS(t)
	h.vsctl(t, "add-br", "user-br")
	h.inNs(t, "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "192.168.99.0/24", "-j", "MASQUERADE")
	h.inNs(t, "sysctl", "-qw", "net.ipv4.ip_forward=0")

	h.file = filepath.Join(t.TempDir(), "topology.yaml")
	topo := fmt.Sprintf(`name: %s
hosts:
  host1: {underlay: %s, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, bridge: br1, gateway: {host: host1, nat: true}}
`, h.lab, underlay1)
	if err := os.WriteFile(h.file, []byte(topo), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r := runCmd(t, os.TempDir(), h.argv("down", h.lab, "--ovsdb", h.db)...); r.code != 0 {
			t.Logf("cleanup: down: %s", r)
		}
	})
	return h
}

// TestRootVMRealHostKernelDatapath runs real-host mode as a real host
// does, on the kernel datapath: the bridges on system@ovs-system, no
// br-phy, the underlay address and route left on eth0 (the kernel's VXLAN
// sends through the routing table), check green, and down restoring the
// user's host exactly.
func TestRootVMRealHostKernelDatapath(t *testing.T) {
	if !testenv.InVM() {
		testenv.RequireVMTier(t)
		testenv.Require(t)
		t.Setenv(testBinEnv, testenv.VMVisible(t, bin))
	}
	if testenv.RunInVM(t) {
		return
	}
	h := newVMRealHost(t)
	if r := h.ovslab(t, "up", h.file, "--ovsdb", h.db); r.code != 0 {
		t.Fatalf("up: %s", r)
	}
	if got := h.get(t, "bridge", "br1", "datapath_type"); got != "system" {
		t.Errorf("br1 datapath_type = %q, want system", got)
	}
	if dp := h.inNs(t, "ovs-dpctl", "show"); !strings.Contains(dp, "system@ovs-system") || !strings.Contains(dp, ": net1") {
		t.Errorf("ovs-dpctl show: want the kernel datapath holding net1:\n%s", dp)
	}
	if brs := h.vsctl(t, "list-br"); strings.Contains(brs, "br-phy") {
		t.Errorf("br-phy made with the kernel datapath: %s", brs)
	}
	h.assertAddrOnEth0(t)
	if got := h.mtu(t, "eth0"); got != 1554 {
		t.Errorf("eth0 MTU = %d, want 1554", got)
	}
	if a := testenv.Run(t, "ip", "-n", h.ns, "-4", "-o", "addr", "show", "dev", "net1"); !strings.Contains(a, "10.0.1.1/24") {
		t.Errorf("gateway net1 lacks 10.0.1.1/24: %s", a)
	}
	if rules := h.natRules(t); !strings.Contains(rules, "ovslab:"+h.lab) {
		t.Errorf("no NAT rules of the lab:\n%s", rules)
	}
	if r := h.ovslab(t, "check", h.lab, "--ovsdb", h.db); r.code != 0 {
		t.Errorf("check: %s", r)
	}

	if r := h.ovslab(t, "down", h.lab, "--ovsdb", h.db); r.code != 0 {
		t.Fatalf("down: %s", r)
	}
	if brs := strings.Fields(h.vsctl(t, "list-br")); strings.Join(brs, " ") != "user-br" {
		t.Errorf("bridges after down = %v, want only the user's user-br", brs)
	}
	rules := h.natRules(t)
	if strings.Contains(rules, "ovslab:"+h.lab) || !strings.Contains(rules, "-A POSTROUTING "+userRule) {
		t.Errorf("after down: want the user's rule and none of the lab's:\n%s", rules)
	}
	if got := h.ipForward(t); got != "0" {
		t.Errorf("ip_forward = %s after down, want the user's 0", got)
	}
	if got := h.mtu(t, "eth0"); got != 1500 {
		t.Errorf("eth0 MTU = %d after down, want the user's 1500", got)
	}
	h.assertAddrOnEth0(t)
}
