package main

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootRealHostCapture captures on a real host's own part of a lab:
// its underlay NIC (under br-phy with the netdev datapath) and its
// container's veth; the other host's container is not here to capture.
func TestRootRealHostCapture(t *testing.T) {
	h := newRealHostLab(t, fmt.Sprintf("cp-rh-%d", time.Now().UnixNano()%1_000_000), true)
	if r := h.ovslab(t, "up", h.file, "--ovsdb", h.db); r.code != 0 {
		t.Fatalf("up: %s", r)
	}
	background := func(args ...string) {
		p := exec.Command(args[0], args[1:]...)
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = p.Process.Kill(); _ = p.Wait() })
	}
	count := func(frames []testenv.Frame, proto byte, addr string) int {
		n := 0
		for _, f := range frames {
			if f.Proto == proto && (f.Src.String() == addr || f.Dst.String() == addr) {
				n++
			}
		}
		return n
	}

	// The host pings its underlay gateway: out of eth0, the NIC under br-phy.
	// Right after up the NIC also carries the lab's start-up chatter (IPv6
	// DAD, MLD and router solicitations of every port, flooded to host2
	// over VXLAN; ARP), a burst that filled 8 frames before a ping sent
	// once a second came round. The chatter is finite: at 100 pings a
	// second 200 frames hold many echoes whatever the burst.
	background("ip", "netns", "exec", h.ns, "ping", "-q", "-i", "0.01", "-c", "6000", "172.16.10.1")
	r := h.ovslab(t, "capture", h.lab, "host1", "-c", "200")
	if r.code != 0 || !strings.Contains(r.stderr, "underlay eth0") {
		t.Fatalf("capture host1: %s", r)
	}
	frames, err := testenv.ReadPcap([]byte(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	if count(frames, 1, "172.16.10.1") == 0 {
		t.Errorf("host1's underlay: no ICMP with 172.16.10.1 among %d frames: %v", len(frames), frames)
	}

	// The same on the container's veth, which carries its own chatter and
	// the floods of net1.
	background("docker", "exec", h.c1, "ping", "-q", "-i", "0.01", "-c", "6000", "10.0.1.1")
	r = h.ovslab(t, "capture", h.lab, h.c1, "-c", "200")
	if r.code != 0 {
		t.Fatalf("capture %s: %s", h.c1, r)
	}
	if frames, err = testenv.ReadPcap([]byte(r.stdout)); err != nil {
		t.Fatal(err)
	}
	if count(frames, 1, "10.0.1.1") == 0 {
		t.Errorf("%s's veth: no ICMP with its gateway 10.0.1.1 among %d frames: %v", h.c1, len(frames), frames)
	}

	if r := h.ovslab(t, "capture", h.lab, h.c2); r.code != 2 || !strings.Contains(r.stderr, "host2") {
		t.Errorf("capture of host2's container on host1: %s; want exit 2 naming host2", r)
	}
}
