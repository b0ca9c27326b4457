package labs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/topology"
)

// e2eLab is the reference lab under another name, so the test never
// touches a lab a user brought up by hand.
const e2eLab = "e2e-l3"

func refLab(t *testing.T, mtu int) *Source {
	t.Helper()
	// Docker names are global: prefixed, they keep clear of a reference
	// lab a user runs.
	text := edit(t, labYAML(t, e2eLab, "e2e"), "mtu: 1554", fmt.Sprintf("mtu: %d", mtu))
	return mustSource(t, text)
}

// firstPackets sends one echo with a one-second timeout across the tunnel
// each way, on each network, as a CI job doing `ovslab up && test` would;
// and checks with OVS's own tool that every host's vswitchd knows the
// neighbour its tunnels go through.
func firstPackets(t *testing.T, lab, prefix string) {
	t.Helper()
	pids := strings.Fields(testenv.Run(t, "docker", "inspect", "-f", "{{.State.Pid}}", prefix+"doc1", prefix+"doc4"))
	if len(pids) != 2 {
		t.Fatalf("pids of %sdoc1 and %sdoc4: %q", prefix, prefix, pids)
	}
	for _, p := range []struct{ pid, from, to, addr string }{
		{pids[0], "doc1", "doc3", "10.0.1.20"}, // host1 -> host2 on net1
		{pids[1], "doc4", "doc2", "10.0.2.10"}, // host2 -> host1 on net2
	} {
		if out, err := inNetnsOf(p.pid, "ping", "-c", "1", "-W", "1", p.addr); err != nil {
			t.Errorf("first ping %s -> %s (%s) right after up: %v\n%s", p.from, p.to, p.addr, err, out)
			reachDiag(t, p.pid, p.addr, nil)
		}
	}
	for host, gw := range map[string]string{"host1": "172.16.10.1", "host2": "172.16.20.1"} {
		cmd := exec.Command("ovs-appctl", "tnl/neigh/show")
		cmd.Env = append(os.Environ(), "OVS_RUNDIR="+HostRunDir(lab, host))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), gw) {
			t.Errorf("%s: ovs-appctl tnl/neigh/show lacks the next hop %s: %v\n%s", host, gw, err, out)
		}
	}
}

var (
	arpReplies   = regexp.MustCompile(`Received [1-9][0-9]* response`)
	arpReplyMACs = regexp.MustCompile(`reply from \S+ \[([0-9A-Fa-f:]{17})\]`)
)

// arpingFrom sends two ARP requests for addr out of a container's eth0
// with iputils arping and returns its output and exit status.
func arpingFrom(pid, addr string) (string, int) {
	out, err := inNetnsOf(pid, "arping", "-c", "2", "-w", "3", "-I", "eth0", addr)
	return string(out), exitStatus(err)
}

func TestRootEmulatedReferenceLab(t *testing.T) {
	requireLabTools(t)
	ctx := context.Background()
	cleanupLab(t, e2eLab)

	start := time.Now()
	if err := Up(ctx, refLab(t, 1554), UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up: %v", err)
	}
	t.Logf("up took %s", time.Since(start))

	// At once, before anything else sends a packet: up has returned, so the
	// lab forwards, and the very first packet across each tunnel is
	// delivered (the containers' own IPv6 chatter warms the tunnels within
	// a second or two, so waiting here would hide the bug this catches).
	t.Run("first packet after up", func(t *testing.T) { firstPackets(t, e2eLab, "e2e") })
	// Right after a fresh up the containers' own IPv6 chatter also fills
	// the caches, which could hide a missing warm-up. Once both hosts'
	// vswitchd and kernel have forgotten their next hops, the lab is quiet
	// and only up can have taught them again before the first packet.
	t.Run("first packet after the caches are flushed", func(t *testing.T) {
		for _, h := range []string{"host1", "host2"} {
			flush := exec.Command("ovs-appctl", "tnl/neigh/flush")
			flush.Env = append(os.Environ(), "OVS_RUNDIR="+HostRunDir(e2eLab, h))
			if out, err := flush.CombinedOutput(); err != nil {
				t.Fatalf("%s: ovs-appctl tnl/neigh/flush: %v\n%s", h, err, out)
			}
			testenv.Run(t, "ip", "netns", "exec", NetnsName(e2eLab, h), "ip", "neigh", "flush", "dev", topology.PhysBridge)
		}
		if err := Up(ctx, refLab(t, 1554), UpOptions{Emulate: true}); err != nil {
			t.Fatalf("no-op up: %v", err)
		}
		firstPackets(t, e2eLab, "e2e")
	})
	// A router that forgets a VTEP asks for it by broadcast. Only br-phy
	// may answer: the kernel also sees the ARP on the NIC under it, and a
	// reply with the NIC's MAC (Linux's default) sent the router's VXLAN
	// where OVS does not decapsulate it, until the host ARPed again.
	t.Run("a router that ARPs for a VTEP anew", func(t *testing.T) {
		router := NetnsName(e2eLab, "router")
		for host, vtep := range map[string]string{"host1": "172.16.10.100", "host2": "172.16.20.100"} {
			ns := NetnsName(e2eLab, host)
			phy := strings.Fields(testenv.Run(t, "ip", "-n", ns, "-br", "link", "show", topology.PhysBridge))
			route := strings.Fields(testenv.Run(t, "ip", "-n", router, "route", "get", vtep))
			if len(phy) < 3 || len(route) < 3 || route[1] != "dev" {
				t.Fatalf("%s's br-phy %q, router's route to %s %q", host, phy, vtep, route)
			}
			out, _ := exec.Command("ip", "netns", "exec", router, "arping", "-c", "2", "-w", "3", "-I", route[2], vtep).CombinedOutput()
			macs := arpReplyMACs.FindAllStringSubmatch(string(out), -1)
			if len(macs) == 0 {
				t.Errorf("router arping %s (%s): no reply:\n%s", vtep, host, out)
			}
			for _, m := range macs {
				if !strings.EqualFold(m[1], phy[2]) {
					t.Errorf("router arping %s: a reply from %s, not %s's br-phy (%s):\n%s", vtep, m[1], host, phy[2], out)
				}
			}
		}
		testenv.Run(t, "ip", "-n", router, "neigh", "flush", "all")
		firstPackets(t, e2eLab, "e2e")
	})
	pid := map[string]string{}
	for _, c := range []string{"doc1", "doc2", "doc3", "doc4"} {
		pid[c] = containerPid(t, "e2e"+c)
	}
	t.Run("connectivity", func(t *testing.T) {
		mustReach(t, pid["doc1"], "doc1", "10.0.1.20")
		mustReach(t, pid["doc2"], "doc2", "10.0.2.20")
		mustReach(t, pid["doc3"], "doc3", "10.0.1.1")
		mustReach(t, pid["doc3"], "doc3", "198.51.100.1") // the WAN, through NAT on host1
		mustReach(t, pid["doc4"], "doc4", "10.0.1.20")    // routed on host1 between net2 and net1
	})
	t.Run("l2 isolation", func(t *testing.T) {
		// The control: the same arping gets replies on doc1's own network,
		// so the silence below is isolation, not a broken arping.
		if out, code := arpingFrom(pid["doc1"], "10.0.1.20"); code != 0 || !arpReplies.MatchString(out) {
			t.Fatalf("doc1 arping doc3's 10.0.1.20 on net1: exit %d, want replies:\n%s", code, out)
		}
		for addr, who := range map[string]string{"10.0.2.20": "doc4 (host2)", "10.0.2.10": "doc2 (host1)"} {
			// iputils arping exits 1 when nothing replied, 2 on its own errors.
			if out, code := arpingFrom(pid["doc1"], addr); code != 1 || !strings.Contains(out, "Received 0 response(s)") {
				t.Errorf("doc1 on net1 arping %s of %s on net2: exit %d, want 1 with no replies:\n%s", addr, who, code, out)
			}
		}
	})
	t.Run("path mtu 1554", func(t *testing.T) {
		mustReach(t, pid["doc1"], "doc1", "10.0.1.20", "-M", "do", "-s", "1472")
	})
	t.Run("iperf3 across the tunnel", func(t *testing.T) {
		bps := iperf(t, []string{"nsenter", "-t", pid["doc3"], "-n"}, pid["doc1"], "10.0.1.20")
		t.Logf("iperf3 doc1 -> doc3 across VXLAN: %.0f Mbit/s", bps/1e6)
	})
	// TCP (not just ping) through NAT: replies cross OVS's AF_PACKET socket
	// on the underlay NIC, where offloaded checksums would kill them.
	t.Run("tcp to the WAN through NAT", func(t *testing.T) {
		bps := iperf(t, []string{"ip", "netns", "exec", NetnsName(e2eLab, wanNode)}, pid["doc3"], "198.51.100.1")
		t.Logf("iperf3 doc3 -> WAN through the tunnel and NAT on host1: %.0f Mbit/s", bps/1e6)
	})
	t.Run("users' tools see the lab", func(t *testing.T) { verifyWithTools(t, e2eLab) })
	t.Run("exec and status", func(t *testing.T) {
		var out strings.Builder
		code, err := Exec(ctx, e2eLab, "host1", []string{"ovs-vsctl", "list-br"}, nil, &out, &out, false)
		if err != nil || code != 0 || !strings.Contains(out.String(), "br1") {
			t.Errorf("exec host1 ovs-vsctl list-br: code %d, err %v, output %q; want br1 (OVS_RUNDIR set)", code, err, out.String())
		}
		out.Reset()
		code, err = Exec(ctx, e2eLab, "e2edoc3", []string{"hostname"}, nil, &out, &out, false)
		if err != nil || code != 0 || strings.TrimSpace(out.String()) != "e2edoc3" {
			t.Errorf("exec e2edoc3 hostname: code %d, err %v, output %q", code, err, out.String())
		}
		if code, _ := Exec(ctx, e2eLab, "e2edoc3", []string{"sh", "-c", "exit 3"}, nil, &out, &out, false); code != 3 {
			t.Errorf("exec exit status = %d, want the command's 3", code)
		}
		st, err := GetStatus(ctx, e2eLab, StatusOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !st.Complete || len(st.Hosts) != 2 {
			t.Fatalf("status: complete=%v with %d hosts, want a complete lab of 2", st.Complete, len(st.Hosts))
		}
		for _, h := range st.Hosts {
			if !h.OK() || !h.OVSDBUp || !h.VswitchdUp || len(h.Containers) != 2 {
				t.Errorf("status of %s: ok=%v ovsdb=%v vswitchd=%v containers=%d problems=%v", h.Name, h.OK(), h.OVSDBUp, h.VswitchdUp, len(h.Containers), h.Problems)
			}
		}
		// Docker's view read once for labs sharing a prefix gives the
		// same containers as a list per host; one that does not cover
		// the lab's containers' names is not used.
		for _, prefix := range []string{"e2e", e2eLab + "-"} {
			view, err := ReadDockerView(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			vst, err := GetStatus(ctx, e2eLab, StatusOptions{Docker: view})
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range st.Hosts {
				got := vst.Hosts[i]
				if !got.OK() || len(got.Containers) != len(h.Containers) {
					t.Fatalf("status from the view of %q, %s: ok=%v containers=%d problems=%v", prefix, h.Name, got.OK(), len(got.Containers), got.Problems)
				}
				for j, c := range h.Containers {
					if g := got.Containers[j]; g.Name != c.Name || g.ID != c.ID || g.PID != c.PID || g.State != c.State {
						t.Errorf("status from the view of %q: container %+v, want %+v", prefix, g, c)
					}
				}
			}
		}
	})
	t.Run("check passes", func(t *testing.T) {
		rep, err := runCheck(ctx, e2eLab)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, r := range rep.Results {
			kinds[r.Kind]++
			if !r.OK {
				t.Errorf("check %s %s -> %s failed: %s", r.Kind, r.From, r.To, r.Detail)
			}
		}
		// 4 tunnels, 4 pings, 4 gateways, 2 full-size DF, 4 to the WAN from
		// containers and 2 from the NAT'd gateways themselves, and one ARP
		// isolation sample between net1 and net2.
		want := map[string]int{"host": 2, "tunnel": 4, "ping": 4, "gateway": 4, "pmtu": 2, "nat": 6, "isolate": 1}
		for k, n := range want {
			if kinds[k] != n {
				t.Errorf("check ran %d %s checks, want %d", kinds[k], k, n)
			}
		}
		if !rep.OK {
			t.Error("check report not OK")
		}
	})

	// The seed's blackhole: the same lab at underlay MTU 1500 drops DF
	// frames that need the full 1500 bytes inside the tunnel.
	t.Run("underlay mtu 1500 blackholes", func(t *testing.T) {
		if err := Up(ctx, refLab(t, 1500), UpOptions{Emulate: true}); err != nil {
			t.Fatalf("up with mtu 1500: %v", err)
		}
		mustReach(t, pid["doc1"], "doc1", "10.0.1.20") // small packets still pass
		mustNotReach(t, pid["doc1"], "doc1", "10.0.1.20", "-M", "do", "-s", "1472")
		rep, err := runCheck(ctx, e2eLab)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK {
			t.Error("check passed at underlay MTU 1500")
		}
		for _, r := range rep.Results {
			// The lab's own mtu: expectations fail with the built-in probe.
			fullSize := r.Kind == "pmtu" || r.Kind == "expect" && strings.HasPrefix(r.Want, "mtu:")
			if r.OK == fullSize {
				t.Errorf("at MTU 1500 check %s %s -> %s ok=%v, want only pmtu checks and mtu: expectations to fail", r.Kind, r.From, r.To, r.OK)
			}
		}
	})

	start = time.Now()
	if err := Down(ctx, e2eLab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	t.Logf("down took %s", time.Since(start))
	assertGone(t, e2eLab)
}

func verifyWithTools(t *testing.T, lab string) {
	vsctl := func(host string, args ...string) string { return mustVsctl(t, lab, host, args...) }
	for host, remote := range map[string]string{"host1": "172.16.20.100", "host2": "172.16.10.100"} {
		brs := vsctl(host, "list-br")
		for _, b := range []string{"br1", "br2"} {
			if !strings.Contains(brs, b) {
				t.Errorf("%s: ovs-vsctl list-br = %q, want %s", host, brs, b)
			}
		}
		show := vsctl(host, "show")
		for _, want := range []string{`key="5000"`, `key="6000"`, `remote_ip="` + remote + `"`, "type: vxlan"} {
			if !strings.Contains(show, want) {
				t.Errorf("%s: ovs-vsctl show lacks %s:\n%s", host, want, show)
			}
		}
	}
	if ports := vsctl("host2", "list-ports", "br1"); strings.Contains(ports, "net1") {
		t.Errorf("host2 holds gateway port net1: %s", ports)
	}
	out := testenv.Run(t, "docker", "inspect", "-f", `{{.HostConfig.NetworkMode}} {{index .Config.Labels "ovslab.lab"}} {{index .Config.Labels "ovslab.host"}}`, "e2edoc3")
	if got := strings.TrimSpace(out); got != "none "+lab+" host2" {
		t.Errorf("docker inspect doc3 = %q, want network none with labels %s/host2", got, lab)
	}
	nat := testenv.Run(t, "ip", "netns", "exec", NetnsName(lab, "host1"), "iptables", "-t", "nat", "-S", "POSTROUTING")
	for _, subnet := range []string{"10.0.1.0/24", "10.0.2.0/24"} {
		masq := regexp.MustCompile(`-s ` + regexp.QuoteMeta(subnet) + ` -m comment --comment "?ovslab:` + lab + `"? -j MASQUERADE`)
		if !masq.MatchString(nat) {
			t.Errorf("host1 nat POSTROUTING lacks commented MASQUERADE for %s:\n%s", subnet, nat)
		}
	}
}
