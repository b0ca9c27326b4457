package trace_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/trace"
)

// refLab is this package's copy of the reference lab (up --name).
const refLab = "trace-ref"

// upRef brings the reference lab up as refLab, and down when the test
// ends, pass or fail.
func upRef(t *testing.T) {
	t.Helper()
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip", "iptables", "nsenter")
	testenv.RequireDocker(t)
	ctx := context.Background()
	t.Cleanup(func() {
		if err := labs.Down(context.Background(), refLab, labs.DownOptions{}); err != nil {
			t.Logf("cleanup: down %s: %v", refLab, err)
		}
	})
	reUp(t, ctx)
}

// reUp converges refLab to the file: up, or up again.
func reUp(t *testing.T, ctx context.Context) {
	t.Helper()
	src, err := labs.Resolve("l3-vxlan")
	if err != nil {
		t.Fatal(err)
	}
	if err := labs.Up(ctx, src, labs.UpOptions{Emulate: true, Name: refLab}); err != nil {
		t.Fatalf("up %s: %v", refLab, err)
	}
}

// hop is what a test expects of one hop: node and kind.
type hop struct{ node, kind string }

// hasInOrder reports whether want appear in hops, in that order, on dir.
func hasInOrder(hops []trace.Hop, dir string, want []hop) error {
	i := 0
	for _, h := range hops {
		if i < len(want) && h.Dir == dir && h.Node == want[i].node && h.Kind == want[i].kind {
			i++
		}
	}
	if i < len(want) {
		return fmt.Errorf("%s: no hop %s %s after the first %d expected", dir, want[i].node, want[i].kind, i)
	}
	return nil
}

func dump(res *trace.Result) string {
	var b strings.Builder
	for i, h := range res.Hops {
		fmt.Fprintf(&b, "%3d %-4s %-6s %-8s %-7s %-22s %s %s\n", i+1, h.Dir, h.Node, h.Kind, h.Status, h.Object, h.Fact, h.Cause)
	}
	return b.String()
}

// TestRootTraceHealthy: on the reference lab, doc1 to doc3 (across the
// tunnel) and doc1 to the WAN (through host1's gateway and NAT) list
// every hop out and back, and are delivered.
func TestRootTraceHealthy(t *testing.T) {
	upRef(t)
	ctx := context.Background()
	for _, tc := range []struct {
		from, to  string
		out, back []hop
	}{
		{"doc1", "doc3",
			[]hop{{"doc1", "iface"}, {"doc1", "route"}, {"doc1", "neigh"}, {"host1", "veth"}, {"host1", "port"}, {"host1", "flow"},
				{"host1", "tunnel"}, {"host1", "route"}, {"host1", "link"}, {"router", "link"}, {"router", "route"}, {"router", "link"},
				{"host2", "link"}, {"host2", "tunnel"}, {"host2", "flow"}, {"host2", "port"}, {"host2", "veth"}, {"doc3", "iface"}, {"doc3", "deliver"}},
			[]hop{{"doc3", "route"}, {"host2", "tunnel"}, {"router", "route"}, {"host1", "tunnel"}, {"host1", "flow"}, {"doc1", "deliver"}}},
		{"doc1", "wan",
			[]hop{{"doc1", "route"}, {"doc1", "neigh"}, {"host1", "flow"}, {"host1", "port"}, {"host1", "iface"}, {"host1", "forward"},
				{"host1", "route"}, {"host1", "filter"}, {"host1", "nat"}, {"host1", "link"}, {"router", "link"}, {"router", "route"},
				{"wan", "iface"}, {"wan", "deliver"}},
			[]hop{{"wan", "route"}, {"router", "route"}, {"host1", "nat"}, {"host1", "forward"}, {"host1", "filter"}, {"host1", "flow"}, {"doc1", "deliver"}}},
	} {
		t.Run(tc.from+"->"+tc.to, func(t *testing.T) {
			res, err := trace.Run(ctx, refLab, tc.from, tc.to, trace.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verdict != trace.VerdictDelivered || res.Broken != -1 {
				t.Errorf("verdict %s (%s)", res.Verdict, res.Summary())
			}
			if res.Size != 1500 || res.Src != "10.0.1.10" {
				t.Errorf("size %d src %s, want a full-size packet from 10.0.1.10", res.Size, res.Src)
			}
			for _, err := range []error{hasInOrder(res.Hops, trace.DirOut, tc.out), hasInOrder(res.Hops, trace.DirBack, tc.back)} {
				if err != nil {
					t.Error(err)
				}
			}
			for _, h := range res.Hops {
				if h.Status != trace.StatusOK {
					t.Errorf("hop %s %s %s is %s: %s", h.Node, h.Kind, h.Object, h.Status, h.Cause)
				}
			}
			if t.Failed() {
				t.Log("\n" + dump(res))
			}
		})
	}
}

// inNS runs a shell command in an emulated node's netns as a student
// would: ovslab exec LAB NODE for a host or the router, nsenter into a
// container's netns from the machine (its own shell has no NET_ADMIN).
func inNS(t *testing.T, node string, cmds ...string) {
	t.Helper()
	script := strings.Join(cmds, "; ")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if strings.HasPrefix(node, "doc") {
		pid := strings.TrimSpace(testenv.Run(t, "docker", "inspect", "-f", "{{.State.Pid}}", refLab+"-"+node))
		out, err := exec.CommandContext(ctx, "nsenter", "-t", pid, "-n", "sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("in %s: %s: %v\n%s", node, script, err, out)
		}
		return
	}
	var out strings.Builder
	code, err := labs.Exec(ctx, refLab, node, []string{"sh", "-c", script}, nil, &out, &out, false)
	if err != nil || code != 0 {
		t.Fatalf("in %s: %s: exit %d %v\n%s", node, script, code, err, out.String())
	}
}

// TestRootTraceFaults breaks the reference lab one way at a time, by
// hand, with the tools a student has (ip, ovs-vsctl, iptables, sysctl,
// docker) and checks that trace names the broken hop and its cause, and
// that its fix, applied as written, makes check green again.
func TestRootTraceFaults(t *testing.T) {
	upRef(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		breakIt    func(t *testing.T)
		from, to   string
		node, kind string
		cause      string
	}{
		{"underlay mtu 1500 on host1's NIC", func(t *testing.T) { inNS(t, "host1", "ovs-vsctl set interface eth0 mtu_request=1500") },
			"doc1", "doc3", "host1", "link", "host1's underlay NIC eth0 has MTU 1500 < 1550 needed for a 1500-byte packet in VXLAN"},
		{"underlay mtu 1500 on the router", func(t *testing.T) { inNS(t, "router", "ip link set host2 mtu 1500") },
			"doc1", "doc3", "router", "link", "router link router→host2 has MTU 1500 < 1550 needed for a 1500-byte packet in VXLAN"},
		{"wrong tunnel key on host2", func(t *testing.T) { inNS(t, "host2", "ovs-vsctl set interface vx5000-host1 options:key=5001") },
			"doc1", "doc3", "host2", "tunnel", "host2 has no tunnel with key 5000 to 172.16.10.100, it has key 5001"},
		{"wrong tunnel remote on host1", func(t *testing.T) {
			inNS(t, "host1", "ovs-vsctl set interface vx5000-host2 options:remote_ip=172.16.20.99")
		}, "doc1", "doc3", "host1", "flow", "host1's tunnel vx5000-host2 goes to 172.16.20.99, but host2's VTEP is 172.16.20.100"},
		{"a tunnel port down (no vxlan type)", func(t *testing.T) { inNS(t, "host1", "ovs-vsctl set interface vx5000-host2 type=system") },
			"doc1", "doc3", "host1", "flow", "host1's tunnel vx5000-host2 has type system, not vxlan"},
		{"an underlay NIC down on host2", func(t *testing.T) { inNS(t, "host2", "ip link set eth0 down") },
			"doc1", "doc3", "host2", "link", "host2's underlay NIC eth0 is down"},
		{"the router's link to host1 down", func(t *testing.T) { inNS(t, "router", "ip link set host1 down") },
			"doc1", "doc3", "router", "link", "router link host1→router is down"},
		{"a gateway port down", func(t *testing.T) { inNS(t, "host1", "ip link set net1 down") },
			"doc1", "wan", "host1", "iface", "host1's gateway net1 is down"},
		{"VLAN mismatch", func(t *testing.T) { inNS(t, "host2", "ovs-vsctl set port vdoc3 tag=20") },
			"doc1", "doc3", "host2", "flow", "doc3's port has tag 20, doc1's has none (untagged): they are in different VLANs"},
		{"NAT removed", func(t *testing.T) {
			inNS(t, "host1", "iptables -t nat -D POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:"+refLab+" -j MASQUERADE")
		}, "doc3", "wan", "host1", "nat", "no MASQUERADE for 10.0.1.0/24 on host1"},
		{"forwarding off", func(t *testing.T) { inNS(t, "host1", "sysctl -qw net.ipv4.ip_forward=0") },
			"doc3", "wan", "host1", "forward", "host1 does not forward: net.ipv4.ip_forward is 0"},
		{"a veth down", func(t *testing.T) { inNS(t, "host1", "ip link set vdoc1 down") },
			"doc1", "doc3", "host1", "veth", "vdoc1, the host end of doc1's eth0, is down"},
		{"a container interface down", func(t *testing.T) { inNS(t, "doc3", "ip link set eth0 down") },
			"doc3", "doc1", "doc3", "iface", "doc3's eth0 is down"},
		{"an iptables DROP on host1", func(t *testing.T) { inNS(t, "host1", "iptables -I FORWARD -s 10.0.1.20 -j DROP") },
			"doc3", "wan", "host1", "filter", `host1's rule "-A FORWARD -s 10.0.1.20/32 -j DROP" in FORWARD drops`},
		{"a wrong default route in doc1", func(t *testing.T) { inNS(t, "doc1", "ip route replace default via 10.0.1.99") },
			"doc1", "wan", "doc1", "route", "doc1 sends 198.51.100.1 via 10.0.1.99 dev eth0, but the file routes it via 10.0.1.1 dev eth0"},
		{"a wrong address on doc3", func(t *testing.T) {
			inNS(t, "doc3", "ip addr del 10.0.1.20/24 dev eth0", "ip addr add 10.0.1.21/24 dev eth0")
		},
			"doc1", "doc3", "doc3", "address", "doc3's eth0 holds 10.0.1.21/24, not 10.0.1.20/24 as the file says"},
		{"a container stopped", func(t *testing.T) { testenv.Run(t, "docker", "stop", "-t", "0", refLab+"-doc3") },
			"doc1", "doc3", "doc3", "iface", "doc3 is not running (exited)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Cleanup(func() {
				if t.Failed() {
					reUp(t, ctx) // the next case starts from a working lab
				}
			})
			tc.breakIt(t)
			res, err := trace.Run(ctx, refLab, tc.from, tc.to, trace.Options{})
			if err != nil {
				t.Fatal(err)
			}
			h := res.First()
			if res.Verdict != trace.VerdictBroken || h == nil {
				t.Fatalf("verdict %s, want broken\n%s", res.Verdict, dump(res))
			}
			if h.Node != tc.node || h.Kind != tc.kind || !strings.Contains(h.Cause, tc.cause) {
				t.Fatalf("first broken hop %s %s: %q\nwant %s %s: %q\n%s", h.Node, h.Kind, h.Cause, tc.node, tc.kind, tc.cause, dump(res))
			}
			if h.Fix == nil {
				t.Fatalf("no fix for %s", h.Cause)
			}
			applyFix(t, ctx, h.Fix)
			if res, err := trace.Run(ctx, refLab, tc.from, tc.to, trace.Options{}); err != nil || res.Verdict != trace.VerdictDelivered {
				t.Errorf("after the fix: %v %s\n%s", err, res.Summary(), dump(res))
			}
			rep, err := check.Run(ctx, refLab, check.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK {
				for _, r := range rep.Results {
					if !r.OK {
						t.Errorf("after the fix (%s): check fails %s %s -> %s: %s", h.Fix.Text, r.Kind, r.From, r.To, r.Detail)
					}
				}
			}
		})
	}
}

// applyFix does what a fix says: its commands on its node, or, when it
// has none, ovslab up again.
func applyFix(t *testing.T, ctx context.Context, f *trace.Fix) {
	t.Helper()
	if len(f.Commands) == 0 {
		if !strings.Contains(f.Text, "ovslab up again") {
			t.Fatalf("fix %q has no commands and is not up again", f.Text)
		}
		reUp(t, ctx)
		return
	}
	inNS(t, f.On, f.Commands...)
}

// hostPortLab has no containers: the hosts are on net1 themselves, on a
// 1500-byte underlay.
var hostPortLab = testenv.HostPortsLab("trace-hp")

// TestRootTraceHostPortMTU: on a lab of host ports alone with underlay.mtu
// 1500, check finds the full-size DF packet between host ports dropped,
// its trace names the underlay link and the file's fix, and the fix
// (underlay.mtu 1554, up again) makes check green.
func TestRootTraceHostPortMTU(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip", "iptables")
	ctx := context.Background()
	const lab = "trace-hp"
	file := filepath.Join(t.TempDir(), "topology.yaml")
	up := func(text string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := labs.Resolve(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := labs.Up(ctx, src, labs.UpOptions{Emulate: true}); err != nil {
			t.Fatalf("up: %v", err)
		}
	}
	t.Cleanup(func() {
		if err := labs.Down(context.Background(), lab, labs.DownOptions{}); err != nil {
			t.Logf("cleanup: down %s: %v", lab, err)
		}
	})
	up(hostPortLab)
	rep, err := check.Run(ctx, lab, check.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var failed *check.Result
	for i, r := range rep.Results {
		switch {
		case r.OK:
		case r.Kind != check.KindPMTU:
			t.Errorf("only full-size packets should fail, but %s %s -> %s: %s", r.Kind, r.From, r.To, r.Detail)
		case r.Path != nil: // from a host port: trace starts there
			failed = &rep.Results[i]
		}
	}
	if rep.OK || failed == nil {
		t.Fatalf("check passes a 1500-byte underlay between host ports: %+v", rep.Results)
	}
	res, err := trace.Run(ctx, lab, failed.Path.From, failed.Path.To, trace.Options{Size: failed.Path.Size})
	if err != nil {
		t.Fatal(err)
	}
	h := res.First()
	if h == nil || h.Kind != trace.KindLink || !strings.Contains(h.Cause, "has MTU 1500 < 1550 needed for a 1500-byte packet in VXLAN") ||
		h.Fix == nil || !strings.Contains(h.Fix.Text, "raise underlay.mtu to 1554 in the file") {
		t.Fatalf("trace %s -> %s: %s\n%s", failed.Path.From, failed.Path.To, res.Summary(), dump(res))
	}
	up(strings.Replace(hostPortLab, "mtu: 1500", "mtu: 1554", 1))
	if rep, err := check.Run(ctx, lab, check.Options{}); err != nil || !rep.OK {
		t.Errorf("after raising underlay.mtu: %v %+v", err, rep)
	}
}
