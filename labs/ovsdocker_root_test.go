package labs

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// ovsDocker runs Open vSwitch's own ovs-docker on an emulated host, the
// way the classic lab teaches it: in the host's netns (it deletes veths
// with ip) and with OVS_RUNDIR naming the host's OVS.
func ovsDocker(lab, host string, args ...string) (string, error) {
	argv := append([]string{"netns", "exec", NetnsName(lab, host), "env", "OVS_RUNDIR=" + HostRunDir(lab, host), "ovs-docker"}, args...)
	out, err := exec.Command("ip", argv...).CombinedOutput()
	return string(out), err
}

// TestRootOVSDockerOnLabPorts: ovs-docker set-vlan and del-port find the
// ports ovslab made, and a following up puts back what the file says.
func TestRootOVSDockerOnLabPorts(t *testing.T) {
	requireLabTools(t)
	testenv.Require(t, "ovs-docker", "uuidgen")
	ctx := context.Background()
	const lab = "pc-ovsdocker"
	cleanupLab(t, lab)
	src := mustSource(t, fmt.Sprintf(`name: %s
hosts:
  host1: {underlay: 172.16.32.100/24, gateway: 172.16.32.1}
networks:
  n1: {subnet: 10.9.3.0/24, vni: 903, bridge: pcbr1, gateway: {host: host1}}
containers:
  pcod1: {host: host1, image: ovslab/busybox, network: n1, address: 10.9.3.10}
  pcod2: {host: host1, image: ovslab/busybox, network: n1, address: 10.9.3.20}
`, lab))
	up := func(step string) {
		t.Helper()
		if err := Up(ctx, src, UpOptions{Emulate: true}); err != nil {
			t.Fatalf("%s: up: %v", step, err)
		}
	}
	up("first")
	pid := containerPid(t, "pcod1")
	mustReach(t, pid, "pcod1", "10.9.3.20")
	if got := mustVsctl(t, lab, "host1", "--data=bare", "--no-heading", "--columns=external_ids", "find", "interface", "name=vpcod1"); !strings.Contains(got, "container_id=pcod1") || !strings.Contains(got, "container_iface=eth0") || !strings.Contains(got, "ovslab-lab="+lab) {
		t.Errorf("vpcod1 external_ids = %s, want ovs-docker's container_id and container_iface beside ovslab-lab", got)
	}

	t.Run("set-vlan, then up removes the tag", func(t *testing.T) {
		if out, err := ovsDocker(lab, "host1", "set-vlan", "pcbr1", "eth0", "pcod1", "10"); err != nil {
			t.Fatalf("ovs-docker set-vlan: %v\n%s", err, out)
		}
		if got := mustVsctl(t, lab, "host1", "get", "port", "vpcod1", "tag"); got != "10" {
			t.Fatalf("tag after set-vlan = %s, want 10", got)
		}
		// pcod2's port is untagged, so frames from VLAN 10 reach it tagged
		// and its kernel drops them: set-vlan really took effect.
		mustNotReach(t, pid, "pcod1 in VLAN 10", "10.9.3.20")
		up("after set-vlan")
		if got := mustVsctl(t, lab, "host1", "get", "port", "vpcod1", "tag"); got != "[]" {
			t.Errorf("tag after up = %s, want [] (the file names no VLAN)", got)
		}
		mustReach(t, pid, "pcod1", "10.9.3.20")
	})

	t.Run("del-port, then up re-adds the port", func(t *testing.T) {
		if out, err := ovsDocker(lab, "host1", "del-port", "pcbr1", "eth0", "pcod1"); err != nil {
			t.Fatalf("ovs-docker del-port: %v\n%s", err, out)
		}
		if ports := mustVsctl(t, lab, "host1", "list-ports", "pcbr1"); strings.Contains(ports, "vpcod1") {
			t.Fatalf("vpcod1 still on pcbr1 after del-port: %s", ports)
		}
		if out, err := inNetnsOf(pid, "ip", "link", "show", "eth0"); err == nil {
			t.Fatalf("pcod1 still has eth0 after del-port:\n%s", out)
		}
		up("after del-port")
		if ports := mustVsctl(t, lab, "host1", "list-ports", "pcbr1"); !strings.Contains(ports, "vpcod1") {
			t.Fatalf("vpcod1 not back on pcbr1 after up: %s", ports)
		}
		mustReach(t, pid, "pcod1", "10.9.3.20")
		mustReach(t, containerPid(t, "pcod2"), "pcod2", "10.9.3.10")
		// And ovs-docker finds the new port again.
		if out, err := ovsDocker(lab, "host1", "set-vlan", "pcbr1", "eth0", "pcod1", "20"); err != nil {
			t.Errorf("ovs-docker set-vlan on the re-added port: %v\n%s", err, out)
		}
	})
}
