package labs

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/internal/testenv"
)

// vmLab has no containers, so it needs no Docker: it runs in the test VM,
// where no dockerd does. host3 leaves its datapath to emulation, which must
// pick the kernel's where the module loads; the others force it.
const vmLab = "vm-kdp"

const vmLabYAML = `name: vm-kdp
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1, datapath: system}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1, datapath: system}
  host3: {underlay: 172.16.30.100/24, gateway: 172.16.30.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, gateway: {host: host1, nat: true}, host_ports: {host2: 10.0.1.2, host3: 10.0.1.3}}
  net2: {subnet: 10.0.2.0/24, vni: 6000, gateway: {host: host2, nat: true}}
  net3: {subnet: 10.0.3.0/24, vni: 7000, gateway: {host: host3, nat: true}}
`

// inNetns runs a machine tool in a named netns.
func inNetns(ns string, args ...string) (string, error) {
	out, err := exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...).CombinedOutput()
	return string(out), err
}

// checkVMLab runs check on the lab and returns its results by kind.
func checkVMLab(t *testing.T) map[string][]checkResultJSON {
	t.Helper()
	rep, err := runCheck(context.Background(), vmLab)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]checkResultJSON{}
	for _, r := range rep.Results {
		by[r.Kind] = append(by[r.Kind], r)
	}
	return by
}

// TestRootVMKernelDatapath brings a container-free lab up emulated on
// Debian's own kernel: every host's vswitchd on its own kernel datapath in
// its own netns, no br-phy, the underlay address left on the NIC. The
// first echo from each host port crosses the tunnels as soon as up returns.
// check
// proves NAT from each gateway, and catches a removed MASQUERADE rule; up
// repairs it; down leaves nothing, not even a datapath.
func TestRootVMKernelDatapath(t *testing.T) {
	if testenv.RunInVM(t) {
		return
	}
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-dpctl", "iptables", "ip")
	if !KernelDatapath() {
		t.Fatal("the openvswitch module does not load in the VM: the kernel datapath cannot be tested")
	}
	ctx := context.Background()
	cleanupLab(t, vmLab)
	// Progress with the time since start: software emulation is slow, and
	// the log shows where the time goes.
	start := time.Now()
	o := UpOptions{Emulate: true, Reporter: Reporter{Progress: func(format string, args ...any) {
		t.Logf("%5.1fs "+format, append([]any{time.Since(start).Seconds()}, args...)...)
	}}}
	if err := Up(ctx, mustSource(t, vmLabYAML), o); err != nil {
		t.Fatalf("up: %v", err)
	}

	// up promises a lab that forwards: the first echo from each host port
	// across the tunnels to host1's gateway arrives (one try; the time is
	// for a slow emulated machine, a loss fails).
	for _, h := range []string{"host2", "host3"} {
		first := probe.Echo{Dst: netip.MustParseAddr("10.0.1.1"), Timeout: 5 * time.Second, Tries: 1}
		if _, err := probe.Ping(ctx, nsutil.Path(NetnsName(vmLab, h)), first); err != nil {
			t.Errorf("%s: the first echo from its host port to the gateway 10.0.1.1 after up: %v", h, err)
		}
	}

	underlay := map[string]string{"host1": "172.16.10.100/24", "host2": "172.16.20.100/24", "host3": "172.16.30.100/24"}
	for i, h := range []string{"host1", "host2", "host3"} {
		br := fmt.Sprintf("br-net%d", i+1)
		if got := mustVsctl(t, vmLab, h, "get", "bridge", br, "datapath_type"); got != "system" {
			t.Errorf("%s: %s datapath_type = %s, want system", h, br, got)
		}
		if out, err := vsctl(vmLab, h, "br-exists", "br-phy"); err == nil {
			t.Errorf("%s: br-phy exists with the kernel datapath (%s); the kernel tunnels through the NIC", h, out)
		}
		ns := NetnsName(vmLab, h)
		// Each host's vswitchd has a datapath of its own, in its own netns.
		if out, err := inNetns(ns, "ovs-dpctl", "show"); err != nil || !strings.Contains(out, "system@ovs-system") || !strings.Contains(out, br) {
			t.Errorf("%s: ovs-dpctl show: want system@ovs-system holding %s, got (%v):\n%s", h, br, err, out)
		}
		if out := testenv.Run(t, "ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0"); !strings.Contains(out, underlay[h]) {
			t.Errorf("%s: underlay %s not on eth0: %s", h, underlay[h], out)
		}
	}

	t.Logf("%5.1fs check", time.Since(start).Seconds())
	by := checkVMLab(t)
	for _, rs := range by {
		for _, r := range rs {
			if !r.OK {
				t.Errorf("check %s %s -> %s: %s", r.Kind, r.From, r.To, r.Detail)
			}
		}
	}
	if n := len(by["nat"]); n != 3 {
		t.Errorf("check ran %d NAT probes, want 3 (one per NAT'd gateway): %+v", n, by["nat"])
	}
	if n := len(by["host"]); n != 3 {
		t.Errorf("check reported %d hosts, want 3", n)
	}

	// Without MASQUERADE the WAN has no way back: check must say so.
	testenv.Run(t, "ip", "netns", "exec", NetnsName(vmLab, "host1"), "iptables", "-t", "nat", "-F", "POSTROUTING")
	for _, r := range checkVMLab(t)["nat"] {
		if strings.HasPrefix(r.From, "host1/net1") == r.OK {
			t.Errorf("after removing host1's MASQUERADE: NAT %s ok=%v (%s), want only host1/net1 failing", r.From, r.OK, r.Detail)
		}
	}
	if err := Up(ctx, mustSource(t, vmLabYAML), o); err != nil {
		t.Fatalf("up again: %v", err)
	}
	for _, r := range checkVMLab(t)["nat"] {
		if !r.OK {
			t.Errorf("after up repaired NAT: %s -> %s: %s", r.From, r.To, r.Detail)
		}
	}

	t.Logf("%5.1fs down", time.Since(start).Seconds())
	if err := Down(ctx, vmLab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertGone(t, vmLab)
	// The datapaths lived in the hosts' namespaces; none may be left.
	if out := strings.TrimSpace(testenv.Run(t, "ovs-dpctl", "show")); out != "" {
		t.Errorf("datapaths left after down:\n%s", out)
	}
}
