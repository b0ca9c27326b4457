package labs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// kindsText is a lab with a stage per group of fault kinds that do not
// touch each other's paths. Every expectation is the file's own, named by
// its message, so each stage's check says exactly which paths its faults
// break, and that the others still work.
const kindsText = `name: kinds
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, bridge: br1, gateway: {host: host1, nat: true}}
  net2: {subnet: 10.0.2.0/24, vni: 6000, bridge: br2, gateway: {host: host1, nat: true}, host_ports: {host2: 10.0.2.2}}
  net3: {subnet: 10.0.3.0/24, vni: 7000, bridge: br3}
containers:
  a1: {host: host1, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.10}
  a2: {host: host2, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.20}
  b1: {host: host1, image: ovslab/busybox, command: [sleep, infinity], network: net2, address: 10.0.2.10}
  b2: {host: host2, image: ovslab/busybox, command: [sleep, infinity], network: net2, address: 10.0.2.20}
  c1: {host: host1, image: ovslab/busybox, command: [sleep, infinity], network: net3, address: 10.0.3.10}
  c2: {host: host2, image: ovslab/busybox, command: [sleep, infinity], network: net3, address: 10.0.3.20}
expect:
  - {from: a1, to: a2, reach: true, message: a1-a2}
  - {from: a1, to: a2, mtu: 1500, message: a1-a2-mtu}
  - {from: b1, to: b2, reach: true, message: b1-b2}
  - {from: b2, to: b1, reach: true, message: b2-b1}
  - {from: c1, to: c2, reach: true, message: c1-c2}
  - {from: b1, to: host2, reach: true, message: b1-host2}
  - {from: a1, to: b1, reach: true, message: a1-b1}
  - {from: a1, to: wan, reach: true, message: a1-wan}
  - {from: a2, to: wan, reach: true, message: a2-wan}
  - {from: b2, to: wan, reach: true, message: b2-wan}
stages:
  - {name: base, text: "Nothing is broken."}
  - name: links
    text: "A container's link, a host port and a tunnel are down."
    faults:
      - {kind: down, on: a1}
      - {kind: down, on: host2/net2}
      - {kind: down, on: host1/net3/host2}
  - name: tunnels
    text: "A wrong key, a wrong remote, a wrong tag."
    faults:
      - {kind: key, on: host2/net1, key: 5001}
      - {kind: remote, on: host1/net3, remote: 172.16.20.200}
      - {kind: vlan, on: b2, tag: 30}
  - name: routing
    text: "NAT off, a wrong route, a wrong address, a firewall."
    faults:
      - {kind: nat-off, on: net2}
      - {kind: route, on: a2, via: 10.0.1.99}
      - {kind: address, on: b1, address: 10.0.2.99}
      - {kind: drop, on: host1, from: a1, to: wan}
  - name: hosts
    text: "Forwarding off, a container stopped, the router's side of a link at 1500."
    faults:
      - {kind: forward-off, on: host1}
      - {kind: stop, on: c2}
      - {kind: mtu, on: router/host2, mtu: 1500}
  - name: underlay
    text: "A host's NIC at 1500, a link that flaps, a link that is slow."
    faults:
      - {kind: mtu, on: host1, mtu: 1500}
      - {kind: flap, on: b2, period: 120s, for: 70s} # down 60s: both checks around a re-up fit, even on a busy machine
      - {kind: impair, on: a2, impair: {rate: 1mbit}}
  - name: nic
    text: "A host's underlay NIC is down."
    faults:
      - {kind: down, on: host2}
`

// stageReport is check's JSON report with what a stage adds: the stage
// graded, and which results are of its own expect:.
type stageReport struct {
	Lab, Stage string
	OK         bool
	Results    []stageResult
}

type stageResult struct {
	checkResultJSON
	Stage string
}

func stageCheck(t *testing.T, lab string) *stageReport {
	t.Helper()
	b, err := CheckLab(context.Background(), lab)
	if err != nil {
		t.Fatalf("check %s: %v", lab, err)
	}
	var rep stageReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// redExpects lists the messages of the expectations that failed, sorted.
func (r *stageReport) redExpects() []string {
	var out []string
	for _, res := range r.Results {
		if res.Kind == "expect" && !res.OK {
			out = append(out, res.Message)
		}
	}
	slices.Sort(out)
	return out
}

// requireReds checks lab and requires exactly the expectations want (by
// message) to fail, and the report to name stage; no want: all green.
func requireReds(t *testing.T, lab, stage string, when string, want ...string) *stageReport {
	t.Helper()
	rep := stageCheck(t, lab)
	slices.Sort(want)
	if got := rep.redExpects(); !slices.Equal(got, want) {
		t.Errorf("%s: failed expectations %v, want %v", when, got, want)
		for _, r := range rep.Results {
			if r.Kind == "expect" {
				t.Logf("  %s %v: %s", r.Message, r.OK, r.Detail)
			}
		}
	}
	if rep.Stage != stage {
		t.Errorf("%s: check graded stage %q, want %q", when, rep.Stage, stage)
	}
	if len(want) == 0 && !rep.OK {
		for _, r := range rep.Results {
			if !r.OK {
				t.Errorf("%s: check %s %s -> %s: %s", when, r.Kind, r.From, r.To, r.Detail)
			}
		}
	}
	return rep
}

// student runs a repair as a student does: `ovslab exec LAB NODE -- CMD`.
func student(t *testing.T, lab, node string, cmd ...string) {
	t.Helper()
	var out bytes.Buffer
	code, err := Exec(context.Background(), lab, node, cmd, nil, &out, &out, false)
	if err != nil || code != 0 {
		t.Fatalf("ovslab exec %s %s -- %s: exit %d, %v\n%s", lab, node, strings.Join(cmd, " "), code, err, out.String())
	}
}

func enterStage(t *testing.T, lab, stage string) {
	t.Helper()
	info, err := EnterStage(context.Background(), lab, stage, StageOptions{})
	if err != nil {
		t.Fatalf("stage %s %s: %v", lab, stage, err)
	}
	if info.Current != stage || !info.Applied {
		t.Fatalf("stage %s %s: now at %q, applied %v", lab, stage, info.Current, info.Applied)
	}
}

func resetLab(t *testing.T, lab, stage string) {
	t.Helper()
	info, err := Reset(context.Background(), lab, ResetOptions{Stage: stage})
	if err != nil {
		t.Fatalf("reset %s --stage %q: %v", lab, stage, err)
	}
	if want := stage; want != "" && info.Current != want {
		t.Fatalf("reset %s --stage %s: now at %q", lab, want, info.Current)
	}
}

// linkState is a host link's state: "up" or "down".
func linkState(t *testing.T, lab, host, link string) string {
	t.Helper()
	var up bool
	err := nsutil.InNamed(NetnsName(lab, host), func(n *nsutil.NS) (err error) {
		up, err = n.LinkIsUp(link)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return map[bool]string{true: "up", false: "down"}[up]
}

// rootQdisc is `tc qdisc show dev LINK` in an emulated host.
func rootQdisc(t *testing.T, lab, host, link string) string {
	t.Helper()
	out, err := inHost(lab, host, "tc", "qdisc", "show", "dev", link)
	if err != nil {
		t.Fatalf("tc qdisc show dev %s: %v\n%s", link, err, out)
	}
	return string(out)
}

func dockerState(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "docker", "inspect", "-f", "{{.State.Status}}", name))
}

// flappers lists the flap processes of lab running on the machine.
func flappers(lab string) []string {
	out, _ := exec.Command("pgrep", "-af", FlapperCommand+" "+lab+" ").Output()
	var procs []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" && !strings.Contains(l, "pgrep") {
			procs = append(procs, l)
		}
	}
	return procs
}

// TestRootStageFaultKinds enters a stage per group of fault kinds and, for
// each: the matching expectations, and only they, turn red; a re-up
// neither repairs the faults nor, once the student repaired them by hand
// with the stage's commands, breaks them again; reset puts the stage's
// start back (containers made anew); and down leaves nothing, flaps
// included.
func TestRootStageFaultKinds(t *testing.T) {
	requireLabTools(t)
	testenv.Require(t, "tc", "pgrep")
	// Two copies walk half the stages each, at once: the suite's time.
	for _, half := range []struct {
		lab    string
		stages []string
	}{
		{"sf-kinda", []string{"links", "tunnels", "routing", "nic"}},
		{"sf-kindb", []string{"underlay", "hosts"}},
	} {
		t.Run(half.lab, func(t *testing.T) {
			t.Parallel()
			walkKinds(t, half.lab, half.stages)
		})
	}
}

// walkKinds brings kindsText up as lab and walks the stages named.
func walkKinds(t *testing.T, lab string, walk []string) {
	cleanupLab(t, lab)
	upCopy(t, kindsText, lab)
	reUp := func(t *testing.T) { t.Helper(); upCopy(t, kindsText, lab) }
	requireReds(t, lab, "base", "after up")

	stages := []kindStage{
		{
			name: "links",
			red:  []string{"a1-a2", "a1-a2-mtu", "a1-b1", "a1-wan", "b1-host2", "c1-c2"},
			entered: func(t *testing.T) {
				for _, l := range []struct{ host, link string }{{"host1", "va1"}, {"host2", "net2"}} {
					if s := linkState(t, lab, l.host, l.link); s != "down" {
						t.Errorf("%s %s is %s, want down", l.host, l.link, s)
					}
				}
				if typ := mustVsctl(t, lab, "host1", "get", "interface", "vx7000-host2", "type"); typ != `""` {
					t.Errorf("tunnel vx7000-host2 has type %s, want none", typ)
				}
			},
			repair: func(t *testing.T) {
				student(t, lab, "host1", "ip", "link", "set", "va1", "up")
				student(t, lab, "host2", "ip", "link", "set", "net2", "up")
				student(t, lab, "host1", "ovs-vsctl", "set", "interface", "vx7000-host2", "type=vxlan")
			},
		},
		{
			name: "tunnels",
			red:  []string{"a1-a2", "a1-a2-mtu", "a2-wan", "c1-c2", "b1-b2", "b2-b1", "b2-wan"},
			repair: func(t *testing.T) {
				student(t, lab, "host2", "ovs-vsctl", "set", "interface", "vx5000-host1", "options:key=5000")
				student(t, lab, "host1", "ovs-vsctl", "set", "interface", "vx7000-host2", "options:remote_ip=172.16.20.100")
				student(t, lab, "host2", "ovs-vsctl", "remove", "port", "vb2", "tag", "30")
			},
		},
		{
			name: "routing",
			red:  []string{"b2-wan", "a2-wan", "b2-b1", "a1-b1", "a1-wan"},
			repair: func(t *testing.T) {
				student(t, lab, "host1", "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.0.2.0/24", "-o", "br-phy", "-j", "MASQUERADE")
				student(t, lab, "a2", "ip", "route", "replace", "default", "via", "10.0.1.1")
				student(t, lab, "b1", "sh", "-c", "ip addr del 10.0.2.99/24 dev eth0 && ip addr add 10.0.2.10/24 dev eth0 && ip route add default via 10.0.2.1")
				student(t, lab, "host1", "iptables", "-D", "FORWARD", "1")
			},
		},
		{
			name: "hosts",
			red:  []string{"a1-b1", "a1-wan", "a2-wan", "b2-wan", "c1-c2", "a1-a2-mtu"},
			entered: func(t *testing.T) {
				if s := dockerState(t, lab+"-c2"); s != "exited" {
					t.Errorf("c2 is %s, want exited", s)
				}
				if p := flappers(lab); len(p) != 0 {
					t.Errorf("the flap of the stage before still runs: %q", p)
				}
			},
			repair: func(t *testing.T) {
				student(t, lab, "host1", "sysctl", "-w", "net.ipv4.ip_forward=1")
				student(t, lab, "router", "ip", "link", "set", "host2", "mtu", "1554")
				// A stopped container is started with Docker; up plumbs it
				// again, as it leaves a stopped one stopped.
				testenv.Run(t, "docker", "start", lab+"-c2")
				reUp(t)
			},
		},
		{
			name: "underlay",
			red:  []string{"a1-a2-mtu", "b1-b2", "b2-b1", "b2-wan"},
			entered: func(t *testing.T) {
				if q := rootQdisc(t, lab, "host2", "va2"); !strings.Contains(q, "tbf") || !strings.Contains(q, "1Mbit") {
					t.Errorf("va2 has no 1mbit tbf:\n%s", q)
				}
				if p := flappers(lab); len(p) != 1 {
					t.Errorf("flap processes %q, want one", p)
				}
			},
			repair: func(t *testing.T) {
				student(t, lab, "host1", "ip", "link", "set", "eth0", "mtu", "1554")
				student(t, lab, "host2", "tc", "qdisc", "del", "dev", "va2", "root")
				// A flap is bounded: it ends by itself and leaves the link up.
				testenv.Eventually(t, 70*time.Second, func() error {
					if p := flappers(lab); len(p) > 0 {
						return fmt.Errorf("still flapping: %q", p)
					}
					return nil
				})
				if s := linkState(t, lab, "host2", "vb2"); s != "up" {
					t.Errorf("vb2 is %s after its flap ended, want up", s)
				}
			},
		},
		{
			name: "nic",
			red:  []string{"a1-a2", "a1-a2-mtu", "b1-b2", "b2-b1", "c1-c2", "b1-host2", "a2-wan", "b2-wan"},
			repair: func(t *testing.T) {
				student(t, lab, "host2", "ip", "link", "set", "eth0", "up")
			},
		},
	}
	for _, name := range walk {
		i := slices.IndexFunc(stages, func(s kindStage) bool { return s.name == name })
		s := stages[i]
		ok := t.Run(s.name, func(t *testing.T) {
			enterStage(t, lab, s.name)
			requireReds(t, lab, s.name, "on entering", s.red...)
			if s.entered != nil {
				s.entered(t)
			}
			finished := func() {}
			if s.name == "links" {
				finished = cutShort(t, lab)
			}
			reUp(t)
			finished()
			requireReds(t, lab, s.name, "after up (it keeps the faults)", s.red...)
			if s.entered != nil {
				s.entered(t)
			}
			s.repair(t)
			requireReds(t, lab, s.name, "after the repair by hand")
			reUp(t)
			requireReds(t, lab, s.name, "after up (it keeps the repair)")
			if s.name == "underlay" {
				if q := rootQdisc(t, lab, "host2", "va2"); strings.Contains(q, "tbf") {
					t.Errorf("up put back the qdisc the student removed:\n%s", q)
				}
			}
			before := containerIDs(t, lab+"-a1", lab+"-c2")
			resetLab(t, lab, "")
			requireReds(t, lab, s.name, "after reset", s.red...)
			if s.entered != nil {
				s.entered(t)
			}
			after := containerIDs(t, lab+"-a1", lab+"-c2")
			for n, id := range before {
				if after[n] == "" || after[n] == id {
					t.Errorf("reset did not make %s anew (%s -> %s)", n, id, after[n])
				}
			}
		})
		if !ok {
			break
		}
	}
	resetLab(t, lab, "base")
	requireReds(t, lab, "base", "after reset --stage base")
	if slices.Contains(walk, "underlay") {
		enterStage(t, lab, "underlay") // a flap runs: down must stop it
	}
	if err := Down(context.Background(), lab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertGone(t, lab)
	if p := flappers(lab); len(p) != 0 {
		t.Errorf("flap processes left after down: %q", p)
	}
}

// kindStage is one stage of kindsText: the expectations its faults
// break, and the student's repair.
type kindStage struct {
	name string
	red  []string
	// entered checks what the faults did beyond the check's view.
	entered func(t *testing.T)
	repair  func(t *testing.T)
}

// cutShort makes the state what a stage entry cut short after recording
// its last fault leaves (recorded, perhaps not made, stage not applied):
// the next up must make it and finish the stage.
func cutShort(t *testing.T, lab string) (finished func()) {
	t.Helper()
	st, err := LoadState(lab)
	if err != nil {
		t.Fatal(err)
	}
	last := st.Faults[len(st.Faults)-1]
	last.Applied, st.StageApplied = false, false
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		st, err := LoadState(lab)
		if err != nil {
			t.Fatal(err)
		}
		if !st.StageApplied || slices.ContainsFunc(st.Faults, func(f *appliedFault) bool { return !f.Applied }) {
			t.Errorf("up did not finish the stage cut short: applied %v, faults %+v", st.StageApplied, st.Faults)
		}
	}
}
