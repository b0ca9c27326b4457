package labs

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// vlanPort is one "container" of TestRootVMVLANSubinterface: a netns
// behind an OVS port made as up makes a container's, holding addr on eth0,
// or on an 802.1Q sub-interface eth0.<sub> when sub is set.
type vlanPort struct {
	veth string
	vlan int // the interface's vlan: key (0 = untagged)
	sub  int
	addr string
	ns   string
}

// pingOnce sends one echo from ns and reports whether it was answered.
func pingOnce(ns, dst string) bool {
	return exec.Command("ip", "netns", "exec", ns, "ping", "-c", "1", "-W", "1", dst).Run() == nil
}

// TestRootVMVLANSubinterface: on Debian's kernel (8021q loads there), a
// container behind an untagged lab port makes a VLAN 20 sub-interface and
// sends tagged frames: they must not reach the VLAN 20 port. The same
// sub-interface behind a plain OVS trunk port does reach it (the tag is
// real, the kernel datapath maps it), and access ports of different VLANs
// on one subnet stay apart.
func TestRootVMVLANSubinterface(t *testing.T) {
	if testenv.RunInVM(t) {
		return
	}
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ip", "ping")
	if !KernelDatapath() {
		t.Fatal("the openvswitch module does not load in the VM")
	}
	if out, err := exec.Command(modprobe(), "8021q").CombinedOutput(); err != nil {
		t.Fatalf("modprobe 8021q: %v: %s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	host := testenv.Netns(t, "vm-vlan-h")
	runDir := t.TempDir()
	t.Cleanup(func() {
		if err := ovs.StopDaemons(runDir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	if err := ovs.StartDaemons(ctx, runDir, nsutil.Path(host)); err != nil {
		t.Fatal(err)
	}
	oc, err := ovs.Connect(ctx, ovs.Endpoint(runDir))
	if err != nil {
		t.Fatal(err)
	}
	defer oc.Close()

	ports := map[string]*vlanPort{
		// The tenant that must stay out of VLAN 20: an untagged lab port.
		"untagged": {veth: "vu", sub: 20, addr: "10.0.20.1/24"},
		"vlan20":   {veth: "v20", vlan: 20, addr: "10.0.20.2/24"},
		"vlan10":   {veth: "v10", vlan: 10, addr: "10.0.20.3/24"},
		// The control: the same sub-interface behind a port with no
		// trunks limit, which OVS makes a trunk of every VLAN.
		"trunk": {veth: "vt", sub: 20, addr: "10.0.20.4/24"},
	}
	br := ovs.Bridge{Name: "br-vlan", Datapath: "system"}
	for name, p := range ports {
		p.ns = testenv.Netns(t, "vm-vlan-"+name)
		testenv.Run(t, "ip", "-n", host, "link", "add", p.veth, "type", "veth", "peer", "name", "eth0", "netns", p.ns)
		testenv.Run(t, "ip", "-n", host, "link", "set", p.veth, "up")
		testenv.Run(t, "ip", "-n", p.ns, "link", "set", "eth0", "up")
		dev := "eth0"
		if p.sub != 0 {
			dev = fmt.Sprintf("eth0.%d", p.sub)
			testenv.Run(t, "ip", "-n", p.ns, "link", "add", "link", "eth0", "name", dev, "type", "vlan", "id", fmt.Sprint(p.sub))
			testenv.Run(t, "ip", "-n", p.ns, "link", "set", dev, "up")
		}
		testenv.Run(t, "ip", "-n", p.ns, "addr", "add", p.addr, "dev", dev)
		if name == "trunk" {
			br.Ports = append(br.Ports, ovs.Port{Name: p.veth})
			continue
		}
		br.Ports = append(br.Ports, containerPort("c"+name, topology.InterfacePlan{Name: "eth0", HostVeth: p.veth, VLAN: p.vlan}))
	}
	if err := oc.Apply(ctx, "vm-vlan", []ovs.Bridge{br}); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	for _, p := range ports {
		if err := oc.WaitInterface(ctx, p.veth); err != nil {
			t.Fatal(err)
		}
	}
	addrOf := func(name string) string { return strings.Split(ports[name].addr, "/")[0] }

	// The tag is real: tagged frames from a trunk port reach VLAN 20.
	testenv.Eventually(t, 10*time.Second, func() error {
		if !pingOnce(ports["trunk"].ns, addrOf("vlan20")) {
			return fmt.Errorf("eth0.20 behind a trunk port does not reach the VLAN 20 port")
		}
		return nil
	})
	// Behind the untagged lab port the same frames are dropped: not even
	// its ARP broadcast reaches VLAN 20, which would leave a neighbour entry.
	for range 3 {
		if pingOnce(ports["untagged"].ns, addrOf("vlan20")) {
			t.Fatalf("a VLAN 20 sub-interface behind an untagged lab port reached the VLAN 20 port (trunks %s)",
				vsctlAt(t, runDir, "get", "port", "vu", "trunks"))
		}
	}
	if n := testenv.Run(t, "ip", "-n", ports["vlan20"].ns, "neigh", "show", addrOf("untagged")); strings.TrimSpace(n) != "" {
		t.Errorf("the VLAN 20 port heard the untagged port's tagged ARP: %s", n)
	}
	// Access ports of two VLANs on one subnet do not see each other.
	if pingOnce(ports["vlan10"].ns, addrOf("vlan20")) {
		t.Errorf("the VLAN 10 port reached the VLAN 20 port (tags %s, %s)",
			vsctlAt(t, runDir, "get", "port", "v10", "tag"), vsctlAt(t, runDir, "get", "port", "v20", "tag"))
	}
}

// vsctlAt runs ovs-vsctl against the OVS in runDir.
func vsctlAt(t *testing.T, runDir string, args ...string) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "ovs-vsctl", append([]string{"--db=" + ovs.Endpoint(runDir), "--no-wait"}, args...)...))
}
