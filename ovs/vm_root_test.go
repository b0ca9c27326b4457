package ovs

import (
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/internal/testenv"
)

// kernelTunnelBridges is one side of TestRootVMKernelTunnel: br1 on the
// kernel datapath with an internal port and a keyed, protected VXLAN port
// to remote.
func kernelTunnelBridges(remote string) []Bridge {
	return []Bridge{{Name: "br1", Datapath: "system", Ports: []Port{
		{Name: "gw", Type: "internal"},
		{Name: "vx", Type: "vxlan", Protected: true, Options: map[string]string{"key": "5000", "remote_ip": remote}},
	}}}
}

func ping(ns string, dst string, size int, df bool) error {
	_, err := probe.Ping(context.Background(), nsutil.Path(ns), probe.Echo{Dst: netip.MustParseAddr(dst), Size: size, DF: df, Timeout: time.Second, Tries: 2})
	return err
}

// TestRootVMKernelTunnel: two hosts, each with its own vswitchd on its own
// kernel datapath, joined by a keyed VXLAN port over a veth underlay: no
// br-phy, the kernel's own vxlan_sys_4789 sends from the address on the
// NIC. Once both are applied and synced, the first echo arrives; a
// 1500-byte DF packet passes at underlay MTU 1554 and is dropped at 1500;
// a deleted tunnel port comes back with the next Apply.
func TestRootVMKernelTunnel(t *testing.T) {
	if testenv.RunInVM(t) {
		return
	}
	testenv.Require(t, "ovs-dpctl")
	h1, h2 := startHost(t), startHost(t)
	ctx := testCtx(t)
	testenv.Run(t, "ip", "-n", h1.ns, "link", "add", "eth0", "mtu", "1554", "type", "veth", "peer", "name", "eth0", "netns", h2.ns, "mtu", "1554")
	for i, h := range []*emulatedHost{h1, h2} {
		testenv.Run(t, "ip", "-n", h.ns, "addr", "add", fmt.Sprintf("172.16.0.%d/24", i+1), "dev", "eth0")
		testenv.Run(t, "ip", "-n", h.ns, "link", "set", "eth0", "up")
		if err := h.c.Apply(ctx, "vmlab", kernelTunnelBridges(fmt.Sprintf("172.16.0.%d", 2-i))); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if err := h.c.WaitInterface(ctx, "gw"); err != nil {
			t.Fatal(err)
		}
		testenv.Run(t, "ip", "-n", h.ns, "addr", "add", fmt.Sprintf("10.0.1.%d/24", i+1), "dev", "gw")
		testenv.Run(t, "ip", "-n", h.ns, "link", "set", "gw", "up")
		// As up does: vswitchd has put every port in the datapath.
		if err := h.c.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if dt := h.vsctl(t, "get", "bridge", "br1", "datapath_type"); dt != "system" {
			t.Errorf("br1 datapath_type = %s, want system", dt)
		}
		dp := testenv.Run(t, "ip", "netns", "exec", h.ns, "ovs-dpctl", "show")
		if !strings.Contains(dp, "system@ovs-system") || !strings.Contains(dp, "vxlan_sys_4789") {
			t.Errorf("host %d: want its own kernel datapath with vxlan_sys_4789:\n%s", i+1, dp)
		}
	}

	// Both hosts are set up: the first packet must arrive. One echo, with
	// time for a slow emulated machine: a loss, not a delay, fails.
	first := probe.Echo{Dst: netip.MustParseAddr("10.0.1.2"), Size: 56, Timeout: 5 * time.Second, Tries: 1}
	if _, err := probe.Ping(ctx, nsutil.Path(h1.ns), first); err != nil {
		t.Errorf("first ping 10.0.1.1 -> 10.0.1.2 lost: %v", err)
		for _, h := range []*emulatedHost{h1, h2} {
			h.dumpDatapath(t)
		}
	}
	testenv.Eventually(t, 20*time.Second, func() error { return ping(h1.ns, "10.0.1.2", 56, false) })
	if err := ping(h1.ns, "10.0.1.2", 1472, true); err != nil {
		t.Errorf("1500-byte DF packet at underlay MTU 1554: %v", err)
	}
	for _, h := range []*emulatedHost{h1, h2} {
		testenv.Run(t, "ip", "-n", h.ns, "link", "set", "eth0", "mtu", "1500")
	}
	if err := ping(h1.ns, "10.0.1.2", 1472, true); err == nil {
		t.Errorf("1500-byte DF packet crossed an underlay of MTU 1500: the probe cannot see a blackhole")
	}
	if err := ping(h1.ns, "10.0.1.2", 56, false); err != nil {
		t.Errorf("small packet at underlay MTU 1500: %v", err)
	}
	for _, h := range []*emulatedHost{h1, h2} {
		testenv.Run(t, "ip", "-n", h.ns, "link", "set", "eth0", "mtu", "1554")
	}

	h1.vsctl(t, "del-port", "br1", "vx")
	testenv.Eventually(t, 10*time.Second, func() error {
		if ping(h1.ns, "10.0.1.2", 56, false) == nil {
			return fmt.Errorf("still reachable without the tunnel port")
		}
		return nil
	})
	if err := h1.c.Apply(ctx, "vmlab", kernelTunnelBridges("172.16.0.2")); err != nil {
		t.Fatalf("Apply after del-port: %v", err)
	}
	testenv.Eventually(t, 20*time.Second, func() error { return ping(h1.ns, "10.0.1.2", 1472, true) })
}

// dumpDatapath logs what says where a packet went: the kernel datapath's
// ports, stats and flows, neighbours, routes, and vswitchd's log.
func (h *emulatedHost) dumpDatapath(t *testing.T) {
	t.Helper()
	show := func(name string, args ...string) {
		out, err := exec.Command(name, args...).CombinedOutput()
		t.Logf("%s: %s %s (%v):\n%s", h.ns, name, strings.Join(args, " "), err, out)
	}
	in := []string{"netns", "exec", h.ns}
	show("ip", append(in, "ovs-dpctl", "show", "-s")...)
	show("ip", append(in, "ovs-dpctl", "dump-flows")...)
	show("ip", "-n", h.ns, "-s", "link")
	show("ip", "-n", h.ns, "addr")
	show("ip", "-n", h.ns, "neigh")
	show("ip", "-n", h.ns, "route")
	show("ovs-vsctl", "--db="+Endpoint(h.runDir), "show")
	if sock, err := VswitchdControl(h.runDir); err == nil {
		show("ovs-appctl", "-t", sock, "dpif/show")
		show("ovs-appctl", "-t", sock, "fdb/show", "br1")
	}
	show("tail", "-n", "60", filepath.Join(h.runDir, "ovs-vswitchd.log"))
}
