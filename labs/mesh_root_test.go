package labs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

const meshLab = "e2e-mesh3"

var txPkts = regexp.MustCompile(`tx pkts=(\d+)`)

// tunnelTx sums the live transmit counters of every VXLAN port of the lab.
func tunnelTx(t *testing.T, hosts ...string) int {
	t.Helper()
	total := 0
	for _, h := range hosts {
		env := append(os.Environ(), "OVS_RUNDIR="+HostRunDir(meshLab, h))
		out := mustVsctl(t, meshLab, h, "--bare", "--columns=name", "find", "interface", "type=vxlan")
		for _, p := range strings.Fields(out) {
			c := exec.Command("ovs-ofctl", "dump-ports", "br1", p)
			c.Env = env
			stats, err := c.CombinedOutput()
			if err != nil {
				t.Fatalf("%s: ovs-ofctl dump-ports br1 %s: %v\n%s", h, p, err, stats)
			}
			m := txPkts.FindSubmatch(stats)
			if m == nil {
				t.Fatalf("%s: no tx pkts for %s in:\n%s", h, p, stats)
			}
			n, _ := strconv.Atoi(string(m[1]))
			total += n
		}
	}
	return total
}

// TestRootEmulatedMesh3 brings up three hosts meshed on one network and
// shows the mesh works and cannot loop: an ARP broadcast burst costs each
// tunnel a packet per broadcast, not the millions a loop would make.
func TestRootEmulatedMesh3(t *testing.T) {
	requireLabTools(t)
	testenv.Require(t, "ovs-ofctl")
	ctx := context.Background()
	data, ok := catalog.Get("mesh3")
	if !ok {
		t.Fatal("built-in lab mesh3 missing")
	}
	s := strings.Replace(string(data), "name: mesh3", "name: "+meshLab, 1)
	// Docker names are global: the containers, and the expect: entries
	// that name them, get a prefix.
	s = regexp.MustCompile(`\bc([1-3])\b`).ReplaceAllString(s, "m3c$1")
	src, err := sourceFromData("builtin:"+meshLab, []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	cleanupLab(t, meshLab)
	if err := Up(ctx, src, UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up: %v", err)
	}

	rep, err := runCheck(ctx, meshLab)
	if err != nil {
		t.Fatal(err)
	}
	pings := 0
	for _, r := range rep.Results {
		if r.Kind == "ping" {
			pings++
		}
		if !r.OK {
			t.Errorf("check %s %s -> %s: %s", r.Kind, r.From, r.To, r.Detail)
		}
	}
	if pings != 6 {
		t.Errorf("check ran %d container pings, want 6 (3 containers, both ways)", pings)
	}

	hosts := []string{"host1", "host2", "host3"}
	before := tunnelTx(t, hosts...)
	const bursts = 3
	pid := containerPid(t, "m3c1")
	// Requests for an address nobody has: every one is a broadcast.
	out, err := inNetnsOf(pid, "arping", "-b", "-c", strconv.Itoa(bursts), "-w", strconv.Itoa(bursts+1), "-I", "eth0", "10.0.1.99")
	sent := fmt.Sprintf("Sent %d probes (%d broadcast(s))", bursts, bursts)
	if code := exitStatus(err); code != 1 || !strings.Contains(string(out), sent) || !strings.Contains(string(out), "Received 0 response(s)") {
		t.Fatalf("arping of an unused address: exit %d, want 1 with %q and no replies:\n%s", code, sent, out)
	}
	// host1 sends each broadcast once to each of the two other hosts.
	var delta int
	testenv.Eventually(t, 5*time.Second, func() error {
		delta = tunnelTx(t, hosts...) - before
		if delta < 2*bursts {
			return fmt.Errorf("tunnels sent %d packets for %d broadcasts; arping: %s", delta, bursts, out)
		}
		return nil
	})
	if delta > 100*bursts {
		t.Fatalf("tunnels sent %d packets for %d ARP broadcasts: the VXLAN mesh loops", delta, bursts)
	}
	t.Logf("%d ARP broadcasts cost the mesh %d tunnel packets", bursts, delta)

	if err := Down(ctx, meshLab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertGone(t, meshLab)
}
