package labs

// What labs' tests share: grading a lab through check, bringing labs up
// and down, and looking at them with the machine's own tools.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

// CheckLab grades a lab that a test brought up: check.Run, as its JSON
// report. The check package sits above labs, so labs' own tests cannot
// import it; grade_test.go (package labs_test, where that import is
// allowed) sets this, and the tests read the report from its JSON, as
// fleet reads a host's.
var CheckLab func(ctx context.Context, lab string) ([]byte, error)

// checkReportJSON and checkResultJSON are a check report as its JSON reads.
type checkReportJSON struct {
	Lab     string
	OK      bool
	Results []checkResultJSON
}

type checkResultJSON struct {
	Kind, From, To, Detail, Want, Message string
	OK, Skipped                           bool
}

// runCheck runs `ovslab check` on lab, with the linear sample of probes.
func runCheck(ctx context.Context, lab string) (*checkReportJSON, error) {
	if CheckLab == nil {
		return nil, errors.New("CheckLab is not set (grade_test.go sets it)")
	}
	b, err := CheckLab(ctx, lab)
	if err != nil {
		return nil, err
	}
	var rep checkReportJSON
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}

func requireLabTools(t *testing.T) {
	t.Helper()
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "iptables", "ip", "nsenter", "ping", "arping", "iperf3")
	testenv.RequireDocker(t)
}

func containerPid(t *testing.T, name string) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "docker", "inspect", "-f", "{{.State.Pid}}", name))
}

// inNetnsOf runs a machine tool inside a container's netns.
func inNetnsOf(pid string, args ...string) ([]byte, error) {
	return exec.Command("nsenter", append([]string{"-t", pid, "-n"}, args...)...).CombinedOutput()
}

func mustReach(t *testing.T, pid, from, addr string, extra ...string) {
	t.Helper()
	args := append([]string{"ping", "-c", "2", "-W", "2"}, extra...)
	if out, err := inNetnsOf(pid, append(args, addr)...); err != nil {
		t.Errorf("%s cannot reach %s: %v\n%s", from, addr, err, out)
		reachDiag(t, pid, addr, extra)
	}
}

// reachDiag logs what a failed reach needs to be understood: how long the
// loss lasts (a transient loss is a readiness bug, a lasting one a broken
// lab), the sender's neighbours, and every emulated host's switching state
// and vswitchd warnings, taken before the lab is torn down.
func reachDiag(t *testing.T, pid, addr string, extra []string) {
	t.Helper()
	start := time.Now()
	for i := 0; i < 10; i++ {
		out, err := inNetnsOf(pid, append(append([]string{"ping", "-c", "1", "-W", "1"}, extra...), addr)...)
		if err == nil {
			t.Logf("diag: %s answered %s after the failure (try %d)", addr, time.Since(start).Round(time.Millisecond), i+1)
			break
		}
		if i == 9 {
			t.Logf("diag: %s still silent after %s:\n%s", addr, time.Since(start).Round(time.Millisecond), out)
		}
	}
	out, _ := inNetnsOf(pid, "ip", "neigh")
	t.Logf("diag: sender's neighbours:\n%s", out)
	routers, _ := filepath.Glob(filepath.Join(nsutil.NetnsDir, "*-router"))
	for _, r := range routers {
		out, _ := exec.Command("ip", "-n", filepath.Base(r), "neigh").CombinedOutput()
		t.Logf("diag: %s's neighbours:\n%s", filepath.Base(r), out)
	}
	dirs, _ := filepath.Glob(filepath.Join(RunRoot, "*", "*", "ovs-vswitchd.pid"))
	for _, pidfile := range dirs {
		dir := filepath.Dir(pidfile)
		appctl := func(args ...string) string {
			c := exec.Command(args[0], args[1:]...)
			c.Env = append(os.Environ(), "OVS_RUNDIR="+dir)
			out, _ := c.CombinedOutput()
			return string(out)
		}
		var b strings.Builder
		for _, br := range strings.Fields(appctl("ovs-vsctl", "list-br")) {
			fmt.Fprintf(&b, "fdb/show %s:\n%s", br, appctl("ovs-appctl", "fdb/show", br))
		}
		for _, cmd := range []string{"tnl/neigh/show", "dpctl/dump-flows"} {
			fmt.Fprintf(&b, "%s:\n%s", cmd, appctl("ovs-appctl", cmd))
		}
		if log, err := os.ReadFile(filepath.Join(dir, "ovs-vswitchd.log")); err == nil {
			for _, l := range strings.Split(string(log), "\n") {
				if !strings.Contains(l, "|INFO|") && l != "" {
					fmt.Fprintf(&b, "log: %s\n", l)
				}
			}
		}
		t.Logf("diag: %s:\n%s", dir, b.String())
	}
}

// mustNotReach checks that a ping from a container goes unanswered:
// iputils ping exits 1 and counts 0 received. Any other failure (a bad
// flag, no route, nsenter failing) is not the drop the caller expects.
func mustNotReach(t *testing.T, pid, from, addr string, extra ...string) {
	t.Helper()
	args := append([]string{"ping", "-c", "2", "-W", "2"}, extra...)
	out, err := inNetnsOf(pid, append(args, addr)...)
	if code := exitStatus(err); code != 1 || !strings.Contains(string(out), " 0 received") {
		t.Errorf("%s ping %v %s: exit %d, want 1 with 0 received:\n%s", from, extra, addr, code, out)
	}
}

// exitStatus is a command's exit status: 0 for success, -1 when it did
// not run to an exit.
func exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// iperf runs an iperf3 server under the given netns prefix command and a
// client in a container's netns, and returns the received bits per second,
// failing if nothing crossed.
func iperf(t *testing.T, serverNetns []string, clientPid, addr string) float64 {
	t.Helper()
	// A persistent server: a one-off one (-1) is gone after any failed
	// early attempt, and every retry is then refused.
	args := append(append([]string{}, serverNetns[1:]...), "iperf3", "-s")
	srv := exec.Command(serverNetns[0], args...)
	srvOut := &lockedBuffer{}
	srv.Stdout, srv.Stderr = srvOut, srvOut
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	var r struct {
		Error string `json:"error"`
		End   struct {
			SumReceived struct {
				Bytes float64 `json:"bytes"`
				Bps   float64 `json:"bits_per_second"`
			} `json:"sum_received"`
		} `json:"end"`
	}
	var out []byte
	// iperf3 -J exits 0 even when it could not connect: the JSON's error
	// field says whether the server was listening yet.
	testenv.Eventually(t, 10*time.Second, func() error {
		var err error
		out, err = inNetnsOf(clientPid, "iperf3", "-c", addr, "-t", "3", "-J")
		if err != nil {
			return fmt.Errorf("%v: %.300s", err, out)
		}
		r.Error = "" // Unmarshal keeps fields the new JSON lacks
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("iperf3 json: %v: %.300s", err, out)
		}
		if r.Error != "" {
			return fmt.Errorf("%s (server: %q)", r.Error, srvOut.String())
		}
		return nil
	})
	if r.End.SumReceived.Bytes == 0 {
		t.Fatalf("iperf3 to %s moved 0 bytes:\n%.2000s\nserver: %.1000s", addr, out, srvOut.String())
	}
	return r.End.SumReceived.Bps
}

// assertGone checks that nothing of the lab is left on the machine.
func assertGone(t *testing.T, lab string) {
	t.Helper()
	for _, n := range labNetns(t, lab) {
		t.Errorf("netns %s left after down", n)
	}
	// No dockerd in the test VM, and no containers in the labs run there.
	if !testenv.InVM() {
		if out := strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--filter", "label=ovslab.lab="+lab)); out != "" {
			t.Errorf("containers left after down: %s", out)
		}
	}
	if out, err := exec.Command("pgrep", "-f", "/run/ovslab/"+lab+"/").CombinedOutput(); err == nil {
		t.Errorf("OVS daemons of the lab left after down: %s", out)
	}
	if _, err := os.Stat("/run/ovslab/" + lab); !os.IsNotExist(err) {
		t.Errorf("/run/ovslab/%s left after down (%v)", lab, err)
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// labYAML is the reference lab's text renamed to lab, its containers
// prefixed, so each test owns its lab and its Docker names (which are
// global) and never meets e2e-l3 or a lab a user brought up. Its expect:
// block goes: these tests edit containers and networks away, which the
// expectations would rightly refuse.
func labYAML(t *testing.T, lab, prefix string) string {
	t.Helper()
	data, ok := catalog.Get("l3-vxlan")
	if !ok {
		t.Fatal("built-in lab l3-vxlan missing")
	}
	s, _, _ := strings.Cut(string(data), "\nexpect:")
	s = edit(t, s+"\n", "name: l3-vxlan", "name: "+lab)
	return strings.ReplaceAll(s, "doc", prefix+"doc")
}

// edit replaces old in s with new, failing if old is not there: a test
// whose edit silently missed would test nothing.
func edit(t *testing.T, s, old, new string) string {
	t.Helper()
	if !strings.Contains(s, old) {
		t.Fatalf("topology text lacks %q", old)
	}
	return strings.Replace(s, old, new, 1)
}

func mustSource(t *testing.T, text string) *Source {
	t.Helper()
	src, err := sourceFromData("test.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// upTimed runs an emulated up and returns how long it took.
func upTimed(t *testing.T, text string) time.Duration {
	t.Helper()
	start := time.Now()
	if err := Up(context.Background(), mustSource(t, text), UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up: %v", err)
	}
	return time.Since(start)
}

// vsctl runs ovs-vsctl against an emulated host's own OVSDB, as a user would.
func vsctl(lab, host string, args ...string) (string, error) {
	c := exec.Command("ovs-vsctl", args...)
	c.Env = append(os.Environ(), "OVS_RUNDIR="+HostRunDir(lab, host))
	out, err := c.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func mustVsctl(t *testing.T, lab, host string, args ...string) string {
	t.Helper()
	out, err := vsctl(lab, host, args...)
	if err != nil {
		t.Fatalf("ovs-vsctl %v on %s: %v\n%s", args, host, err, out)
	}
	return out
}

// ovsRows maps "table name" to the row's _uuid for every bridge, port and
// interface of the host.
func ovsRows(t *testing.T, lab, host string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for _, table := range []string{"bridge", "port", "interface"} {
		out := mustVsctl(t, lab, host, "--format=csv", "--no-headings", "--data=bare", "--columns=_uuid,name", "list", table)
		for _, l := range strings.Split(out, "\n") {
			if uuid, name, ok := strings.Cut(l, ","); ok {
				rows[table+" "+name] = uuid
			}
		}
	}
	return rows
}

// containerIDs returns each named container's full ID, "" when it is gone.
func containerIDs(t *testing.T, names ...string) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, n := range names {
		out, err := exec.Command("docker", "inspect", "-f", "{{.Id}}", n).Output()
		if err == nil {
			ids[n] = strings.TrimSpace(string(out))
		} else {
			ids[n] = ""
		}
	}
	return ids
}

var counters = regexp.MustCompile(`\[\d+:\d+\]`)

// iptablesSave is iptables-save of the lab host's netns without the
// timestamps and packet counters that change by themselves.
func iptablesSave(t *testing.T, lab, host string) []string {
	t.Helper()
	out := testenv.Run(t, "ip", "netns", "exec", NetnsName(lab, host), "iptables-save")
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			lines = append(lines, counters.ReplaceAllString(l, ""))
		}
	}
	return lines
}

// sameExcept reports every key of before whose value changed in after,
// except the keys skip accepts.
func sameExcept(t *testing.T, what string, before, after map[string]string, skip func(string) bool) {
	t.Helper()
	for k, v := range before {
		if skip != nil && skip(k) {
			continue
		}
		if after[k] != v {
			t.Errorf("%s %s changed: %q -> %q", what, k, v, after[k])
		}
	}
}

// cleanupLab removes the lab when the test ends, whatever state a failed
// test (or a failed Down) left it in: Down first, then removeLeftovers for
// anything Down did not remove. A Down that reports success and still
// leaves something fails the test, since a user's `ovslab down` would
// leak the same way. A lab already up when the test starts is refused:
// a test would adopt it, and another run using the same name (two test
// runs on one machine) would move it under the test's feet.
func cleanupLab(t *testing.T, lab string) {
	t.Helper()
	if st, err := LoadState(lab); err == nil {
		t.Fatalf("lab %s is already up on this machine (stage %q): another test run is using it, or a run left it (ovslab down %s)", lab, st.Stage, lab)
	}
	t.Cleanup(func() {
		left, err := cleanLab(t, lab)
		switch {
		case err != nil:
			t.Logf("cleanup: down %s: %v", lab, err)
			if len(left) > 0 {
				t.Logf("cleanup: after the failed down of %s, removed by hand: %s", lab, strings.Join(left, "; "))
			}
		case len(left) > 0:
			t.Errorf("cleanup: down %s succeeded but left (removed by hand): %s", lab, strings.Join(left, "; "))
		}
	})
}

// requireHealthy checks the lab as `ovslab status` sees it: complete, and
// every host with its daemons up and every object in its wanted state.
func requireHealthy(t *testing.T, lab string) {
	t.Helper()
	s, err := GetStatus(context.Background(), lab, StatusOptions{})
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	if !s.Complete {
		t.Errorf("status of %s: not complete", lab)
	}
	for _, h := range s.Hosts {
		if !h.OK() || !h.OVSDBUp || !h.VswitchdUp {
			t.Errorf("status of %s %s is not OK: ovsdb %v, vswitchd %v, problems %v, containers %+v",
				lab, h.Name, h.OVSDBUp, h.VswitchdUp, h.Problems, h.Containers)
		}
	}
}

// labNetns lists the netns of lab on the machine.
func labNetns(t *testing.T, lab string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(testenv.Run(t, "ip", "netns", "list"), "\n") {
		if strings.HasPrefix(l, lab+"-") {
			out = append(out, strings.Fields(l)[0])
		}
	}
	return out
}

// inHost runs a tool in an emulated host's netns.
func inHost(lab, host string, args ...string) ([]byte, error) {
	return exec.Command("ip", append([]string{"netns", "exec", NetnsName(lab, host)}, args...)...).CombinedOutput()
}

// dockerPing pings name from inside a container with the image's own ping,
// so the name goes through the container's resolver (/etc/hosts).
func dockerPing(ctr, name string) (string, error) {
	out, err := exec.Command("docker", "exec", ctr, "ping", "-c", "1", "-W", "2", name).CombinedOutput()
	return string(out), err
}

func mustPingName(t *testing.T, ctr, name, addr string) {
	t.Helper()
	out, err := dockerPing(ctr, name)
	if err != nil || !strings.Contains(out, "("+addr+")") || !strings.Contains(out, "1 packets received") {
		t.Errorf("%s: ping %s: %v, want %s answering:\n%s", ctr, name, err, addr, out)
	}
}

// qdiscOf is `tc qdisc show` of a host veth and of the container's end.
func qdiscOf(t *testing.T, lab, host, veth, ctr, iface string) (string, string) {
	t.Helper()
	h, err := inHost(lab, host, "tc", "qdisc", "show", "dev", veth)
	if err != nil {
		t.Fatalf("tc qdisc show dev %s: %v\n%s", veth, err, h)
	}
	c, err := inNetnsOf(containerPid(t, ctr), "tc", "qdisc", "show", "dev", iface)
	if err != nil {
		t.Fatalf("tc qdisc show dev %s in %s: %v\n%s", iface, ctr, err, c)
	}
	return string(h), string(c)
}

// requireChecksPass runs `ovslab check` and fails on any red line.
func requireChecksPass(t *testing.T, lab string) {
	t.Helper()
	rep, err := runCheck(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if !r.OK {
			t.Errorf("check %s %s -> %s: %s", r.Kind, r.From, r.To, r.Detail)
		}
	}
	if !rep.OK || len(rep.Results) == 0 {
		t.Errorf("check: ok=%v with %d results", rep.OK, len(rep.Results))
	}
}

func countLines(lines []string, subs ...string) int {
	n := 0
	for _, l := range lines {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(l, s)
		}
		if all {
			n++
		}
	}
	return n
}

// upLab brings the text up emulated or fails the test.
func upLab(t *testing.T, text string) {
	t.Helper()
	if err := Up(context.Background(), mustSource(t, text), UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up: %v", err)
	}
}
