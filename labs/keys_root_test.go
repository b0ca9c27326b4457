package labs

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/testenv"
)

// keysLab uses every newer key at once, so one up covers them: a host port
// (host2 on net1), names, VLANs 10 and 20 on net2 across both hosts, MTU
// 1400 and a rate limit on kxa's eth0.
const keysLab = `name: kx-keys
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1:
    subnet: 10.0.1.0/24
    vni: 5000
    bridge: br1
    gateway: {host: host1, nat: true}
    host_ports: {host2: 10.0.1.2}
  net2: {subnet: 10.0.2.0/24, vni: 6000, bridge: br2}
containers:
  kxa:
    host: host1
    image: ovslab/busybox
    command: [sleep, infinity]
    interfaces:
      - {network: net1, address: 10.0.1.10, mtu: 1400, impair: {rate: 10mbit}}
      - {network: net2, address: 10.0.2.10, vlan: 10}
  kxb:
    host: host2
    image: ovslab/busybox
    command: [sleep, infinity]
    interfaces:
      - {network: net1, address: 10.0.1.20, mtu: 1400}
      - {network: net2, address: 10.0.2.20, vlan: 10}
  kxc: {host: host2, image: ovslab/busybox, command: [sleep, infinity], network: net2, address: 10.0.2.30, vlan: 20}
`

func linkMTUs(t *testing.T, lab, host, veth, ctr, iface string) (string, string) {
	t.Helper()
	mtu := regexp.MustCompile(`mtu (\d+)`)
	h, err := inHost(lab, host, "ip", "link", "show", "dev", veth)
	if err != nil {
		t.Fatalf("ip link show %s: %v\n%s", veth, err, h)
	}
	c, err := inNetnsOf(containerPid(t, ctr), "ip", "link", "show", "dev", iface)
	if err != nil {
		t.Fatalf("ip link show %s in %s: %v\n%s", iface, ctr, err, c)
	}
	hm, cm := mtu.FindSubmatch(h), mtu.FindSubmatch(c)
	if hm == nil || cm == nil {
		t.Fatalf("no mtu in %q / %q", h, c)
	}
	return string(hm[1]), string(cm[1])
}

func TestRootKeysEndToEnd(t *testing.T) {
	requireLabTools(t)
	testenv.Require(t, "tc")
	const lab = "kx-keys"
	ctx := context.Background()
	cleanupLab(t, lab)
	upTimed(t, keysLab)
	names := []string{"kxa", "kxb", "kxc"}

	t.Run("vlan", func(t *testing.T) {
		for host, ports := range map[string]map[string]string{
			"host1": {"vkxa.1": "10", "vkxa": "[]"},
			"host2": {"vkxb.1": "10", "vkxc": "20", "vkxb": "[]", "net1": "[]"},
		} {
			for port, want := range ports {
				if got, _ := vsctl(lab, host, "get", "port", port, "tag"); got != want {
					t.Errorf("%s: ovs-vsctl get port %s tag = %q, want %q", host, port, got, want)
				}
				if want == "[]" { // untagged: untagged frames only
					if got, _ := vsctl(lab, host, "get", "port", port, "trunks"); got != "[0]" {
						t.Errorf("%s: port %s trunks = %q, want [0]", host, port, got)
					}
				}
			}
		}
		mustReach(t, containerPid(t, "kxb"), "kxb", "10.0.2.10") // VLAN 10 across the tunnel
		mustNotReach(t, containerPid(t, "kxb"), "kxb", "10.0.2.30")
		mustNotReach(t, containerPid(t, "kxa"), "kxa", "10.0.2.30")
	})
	t.Run("mtu", func(t *testing.T) {
		if h, c := linkMTUs(t, lab, "host1", "vkxa", "kxa", "eth0"); h != "1400" || c != "1400" {
			t.Errorf("kxa eth0 MTU: host veth %s, container %s; want 1400 both", h, c)
		}
		if h, c := linkMTUs(t, lab, "host1", "vkxa.1", "kxa", "eth1"); h != "1500" || c != "1500" {
			t.Errorf("kxa eth1 MTU: host veth %s, container %s; want the default 1500", h, c)
		}
		mustReach(t, containerPid(t, "kxa"), "kxa", "10.0.1.20", "-M", "do", "-s", "1372")
	})
	t.Run("impair", func(t *testing.T) {
		h, c := qdiscOf(t, lab, "host1", "vkxa", "kxa", "eth0")
		for _, out := range []string{h, c} {
			if !strings.Contains(out, "qdisc tbf 1: root") || !strings.Contains(out, "rate 10Mbit") {
				t.Errorf("tc qdisc show: %q, want a root tbf at rate 10Mbit", out)
			}
		}
		if h, _ := qdiscOf(t, lab, "host1", "vkxa.1", "kxa", "eth1"); strings.Contains(h, "tbf") {
			t.Errorf("unimpaired vkxa.1 has %q", h)
		}
	})
	t.Run("host port", func(t *testing.T) {
		if out, err := inHost(lab, "host2", "ip", "-4", "-o", "addr", "show", "dev", "net1"); err != nil || !strings.Contains(string(out), "10.0.1.2/24") {
			t.Errorf("host2 net1: %v %s, want 10.0.1.2/24", err, out)
		}
		for _, addr := range []string{"10.0.1.10", "10.0.1.20"} { // across the overlay, and local
			if out, err := inHost(lab, "host2", "ping", "-c", "2", "-W", "2", addr); err != nil {
				t.Errorf("host2 ping %s: %v\n%s", addr, err, out)
			}
		}
	})
	t.Run("names", func(t *testing.T) {
		mustPingName(t, "kxa", "kxb", "10.0.1.20")
		mustPingName(t, "kxa", "kxb.net2", "10.0.2.20")
		mustPingName(t, "kxb", "kxa.net1", "10.0.1.10")
		mustPingName(t, "kxc", "kxc", "10.0.2.30")
	})
	t.Run("status and check", func(t *testing.T) {
		st, err := GetStatus(ctx, lab, StatusOptions{})
		if err != nil {
			t.Fatal(err)
		}
		seen := 0
		for _, h := range st.Hosts {
			if !h.OK() {
				t.Errorf("status of %s not ok: %v", h.Name, h.Problems)
			}
			for _, c := range h.Containers {
				for _, i := range c.Interfaces {
					if c.Name == "kxa" && i.Name == "eth0" {
						seen++
						if i.MTU != 1400 || !strings.Contains(i.Qdisc, "tbf rate 10000000bit") {
							t.Errorf("status kxa eth0: mtu %d qdisc %q", i.MTU, i.Qdisc)
						}
					}
					if c.Name == "kxc" && i.VLAN != 20 {
						t.Errorf("status kxc %s: vlan %d, want 20", i.Name, i.VLAN)
					}
				}
			}
		}
		if seen != 1 {
			t.Errorf("status lists kxa eth0 %d times", seen)
		}
		requireChecksPass(t, lab)
	})

	// Change a tag, an MTU, the rate and the host port; add a container;
	// and remove kxc by hand, which up must recreate with its names.
	before := containerIDs(t, names...)
	rows := ovsRows(t, lab, "host1")
	changed := strings.NewReplacer(
		"address: 10.0.2.10, vlan: 10", "address: 10.0.2.10, vlan: 20",
		"mtu: 1400, impair: {rate: 10mbit}", "mtu: 1300, impair: {rate: 20mbit}",
		"host2: 10.0.1.2}", "host2: 10.0.1.3}",
	).Replace(keysLab) + "  kxd: {host: host1, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.40}\n"
	testenv.Run(t, "docker", "rm", "-f", "kxc")
	upTimed(t, changed)

	t.Run("converged", func(t *testing.T) {
		after := containerIDs(t, names...)
		for _, n := range []string{"kxa", "kxb"} {
			if after[n] != before[n] {
				t.Errorf("%s was recreated (%s -> %s); only its links changed", n, before[n], after[n])
			}
		}
		if after["kxc"] == "" || after["kxc"] == before["kxc"] {
			t.Errorf("kxc removed by hand: id %q after up", after["kxc"])
		}
		sameExcept(t, "OVSDB row of host1", rows, ovsRows(t, lab, "host1"), func(string) bool { return false })
		if got, _ := vsctl(lab, "host1", "get", "port", "vkxa.1", "tag"); got != "20" {
			t.Errorf("vkxa.1 tag = %q, want 20", got)
		}
		mustReach(t, containerPid(t, "kxc"), "kxc", "10.0.2.10")    // now both in VLAN 20
		mustNotReach(t, containerPid(t, "kxb"), "kxb", "10.0.2.10") // kxb stayed in 10
		if h, c := linkMTUs(t, lab, "host1", "vkxa", "kxa", "eth0"); h != "1300" || c != "1300" {
			t.Errorf("kxa eth0 MTU after the change: %s/%s, want 1300", h, c)
		}
		h, c := qdiscOf(t, lab, "host1", "vkxa", "kxa", "eth0")
		if !strings.Contains(h, "rate 20Mbit") || !strings.Contains(c, "rate 20Mbit") {
			t.Errorf("qdiscs after the change: %q / %q, want rate 20Mbit", h, c)
		}
		out, _ := inHost(lab, "host2", "ip", "-4", "-o", "addr", "show", "dev", "net1")
		if !strings.Contains(string(out), "10.0.1.3/24") || strings.Contains(string(out), "10.0.1.2/") {
			t.Errorf("host2 net1 after the change: %s, want only 10.0.1.3/24", out)
		}
		mustPingName(t, "kxb", "kxd", "10.0.1.40") // a new name, kxb not recreated
		mustPingName(t, "kxc", "kxa.net2", "10.0.2.10")
		requireChecksPass(t, lab)
	})

	if err := Down(ctx, lab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertGone(t, lab)
}

// TestRootNetemRefusedBeforeAnyChange runs where the kernel has no netem
// (this project's CI): up must name sch_netem and leave nothing behind.
func TestRootNetemRefusedBeforeAnyChange(t *testing.T) {
	requireLabTools(t)
	if err := containers.NetemAvailable(); err == nil {
		t.Skip("this kernel has netem; the refusal cannot happen here")
	} else if !errors.Is(err, containers.ErrNoNetem) {
		t.Fatalf("netem probe failed for another reason: %v", err)
	}
	const lab = "kx-netem"
	cleanupLab(t, lab)
	text := strings.NewReplacer("name: kx-keys", "name: "+lab, "impair: {rate: 10mbit}", "impair: {delay: 50ms, rate: 10mbit}",
		"kxa", "kxna", "kxb", "kxnb", "kxc", "kxnc").Replace(keysLab)
	err := Up(context.Background(), mustSource(t, text), UpOptions{Emulate: true})
	if err == nil || !strings.Contains(err.Error(), "sch_netem") || !strings.Contains(err.Error(), "delay 50ms rate 10mbit") {
		t.Fatalf("up with a delay on a kernel without netem: %v; want a refusal naming sch_netem and the impairment", err)
	}
	if _, err := os.Stat("/run/ovslab/" + lab); !os.IsNotExist(err) {
		t.Errorf("refused up left /run/ovslab/%s (%v)", lab, err)
	}
	assertGone(t, lab)
}
