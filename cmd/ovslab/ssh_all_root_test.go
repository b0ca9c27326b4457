package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/fleet"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/topology"
	"github.com/ovslab/ovslab/trace"
)

// TestRootSSHAll drives two SSH hosts from one client: refusals that
// change nothing first (unknown and changed host keys, an unreachable
// host), then up, check, status, a repeated up, an underlay that cannot
// carry VXLAN named by its hop, and down.
func TestRootSSHAll(t *testing.T) {
	l := newSSHLab(t, "all", 2)
	h1, h2 := l.hosts[0], l.hosts[1]

	t.Run("unknown host key", func(t *testing.T) {
		l.writeKnownHosts(t, map[string]string{"h2": ""})
		defer l.writeKnownHosts(t, nil)
		r := l.ovslab(t, "up", "--all", l.file)
		want := "ssh-keyscan -p 22 " + h2.mgmt + " >> " + filepath.Join(l.home, ".ssh", "known_hosts")
		if r.code != 1 || !strings.Contains(r.stderr, "host h2") || !strings.Contains(r.stderr, want) {
			t.Errorf("want exit 1 naming h2 and %q, got %s", want, r)
		}
		l.assertUntouched(t, h1)
		l.assertUntouched(t, h2)
	})

	t.Run("changed host key", func(t *testing.T) {
		// The key another machine at h2's address would show.
		other := filepath.Join(t.TempDir(), "other")
		testenv.Run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other)
		pub, err := os.ReadFile(other + ".pub")
		if err != nil {
			t.Fatal(err)
		}
		f := strings.Fields(string(pub))
		l.writeKnownHosts(t, map[string]string{"h2": f[0] + " " + f[1]})
		defer l.writeKnownHosts(t, nil)
		r := l.ovslab(t, "up", "--all", l.file)
		want := "ssh-keygen -f " + filepath.Join(l.home, ".ssh", "known_hosts") + " -R " + h2.mgmt
		if r.code != 1 || !strings.Contains(r.stderr, "CHANGED") || !strings.Contains(r.stderr, want) {
			t.Errorf("want exit 1 saying the key CHANGED and naming %q, got %s", want, r)
		}
		l.assertUntouched(t, h1)
		l.assertUntouched(t, h2)
	})

	t.Run("unreachable host", func(t *testing.T) {
		data, err := os.ReadFile(l.file)
		if err != nil {
			t.Fatal(err)
		}
		defer l.writeFile(t, string(data))
		// h3's sshd does not exist: nothing listens on that port.
		h3 := "  h3: {underlay: 172.16.30.100/24, gateway: 172.16.30.1, datapath: netdev, ssh: 'root@" + h1.mgmt + ":2222'}\n"
		l.writeFile(t, strings.Replace(string(data), "networks:\n", h3+"networks:\n", 1))
		r := l.ovslab(t, "up", "--all", l.file)
		if r.code != 1 || !strings.Contains(r.stderr, "host h3: cannot reach "+h1.mgmt+":2222") || !strings.Contains(r.stderr, "nothing was changed on any host") {
			t.Errorf("want exit 1 naming h3 unreachable and nothing changed, got %s", r)
		}
		if !strings.Contains(r.stdout, "h1") || !strings.Contains(r.stdout, "ready") {
			t.Errorf("the report should show h1 ready:\n%s", r.stdout)
		}
		l.assertUntouched(t, h1)
		l.assertUntouched(t, h2)
	})

	// --progress: the lines a terminal would show, each naming its host
	// once (a host's own lines already start with its name).
	if r := l.ovslab(t, "up", "--all", "--progress", l.file); r.code != 0 {
		t.Fatalf("up --all: %s", r)
	} else {
		for _, want := range []string{"\n· h1: containers", "\n· h2: OVS bridges and tunnels", "· h2: connecting to root@10.250.2.2:22"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("up --all progress lacks %q:\n%s", want, r.stderr)
			}
		}
		if strings.Contains(r.stderr, "h1: · h1:") {
			t.Errorf("up --all progress names a host twice:\n%s", r.stderr)
		}
		for _, want := range []string{"ok  underlay  h1 -> h2  1554-byte DF packet to 172.16.20.100", "ok  underlay  h2 -> h1  1554-byte DF packet to 172.16.10.100"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("up --all output lacks %q:\n%s", want, r.stdout)
			}
		}
	}
	copies := map[string]os.FileInfo{}
	for _, h := range l.hosts {
		m, _ := filepath.Glob(filepath.Join(h.libDir(), "ovslab", "ovslab-*"))
		if len(m) != 1 {
			t.Fatalf("%s: want one copy of ovslab in /usr/local/lib/ovslab, found %v", h.name, m)
		}
		fi, err := os.Stat(m[0])
		if err != nil {
			t.Fatal(err)
		}
		copies[h.name] = fi
		if got := h.vsctl(t, "--if-exists", "get", "bridge", "br1", "external_ids:ovslab-lab"); strings.Trim(got, `"`) != l.lab {
			t.Errorf("%s: br1 is not the lab's (%q)", h.name, got)
		}
		if _, err := os.Stat(filepath.Join(h.runDir(), l.lab, "state.json")); err != nil {
			t.Errorf("%s: no lab state in its own /run/ovslab: %v", h.name, err)
		}
	}

	t.Run("check", func(t *testing.T) {
		r := l.ovslab(t, "check", "--all", l.file, "-o", "json")
		var rep check.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || !rep.OK {
			t.Fatalf("check --all: want exit 0 and ok, got %v\n%s", err, r)
		}
		seen := map[string]bool{}
		for _, res := range rep.Results {
			seen[res.Kind+" "+res.From+" "+res.To] = true
			seen[res.Kind+" "+res.From] = true
		}
		c1, c2 := l.lab+"-c1", l.lab+"-c2"
		for _, want := range []string{"underlay h1 h2", "underlay h2 h1", "host h1", "host h2", "tunnel h1/br1 172.16.20.100 key 5000", "tunnel h2/br1 172.16.10.100 key 5000"} {
			if !seen[want] {
				t.Errorf("no %q result in %v", want, seen)
			}
		}
		// Each end's containers probe from their own host.
		var from1, from2 bool
		for k := range seen {
			from1 = from1 || strings.HasPrefix(k, "ping "+c1+" ")
			from2 = from2 || strings.HasPrefix(k, "ping "+c2+" ")
		}
		if !from1 || !from2 {
			t.Errorf("want pings from %s (h1) and %s (h2), got %v", c1, c2, seen)
		}
	})

	t.Run("by the lab's name", func(t *testing.T) {
		// up --all from this machine remembered the file: every --all
		// command takes the lab's name, as the hosts' own commands do.
		for _, args := range [][]string{{"check", "--all", l.lab, "-o", "json"}, {"status", "--all", l.lab, "-o", "json"}} {
			if r := l.ovslab(t, args...); r.code != 0 || !strings.Contains(r.stdout, l.lab) {
				t.Errorf("%v: %s", args, r)
			}
		}
		if r := l.ovslab(t, "check", "--all", "nosuchlab"); r.code != 2 || !strings.Contains(r.stderr, "no lab of that name brought up from this machine with up --all") {
			t.Errorf("check --all of an unknown lab: %s", r)
		}
	})

	t.Run("trace", func(t *testing.T) {
		c1, c2 := l.lab+"-c1", l.lab+"-c2"
		traced := func() trace.Result {
			t.Helper()
			r := l.ovslab(t, "trace", "--all", l.lab, c1, c2, "-o", "json")
			var res trace.Result
			if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
				t.Fatalf("trace --all: %v\n%s", err, r)
			}
			if want := map[bool]int{true: 1, false: 0}[res.Verdict == trace.VerdictBroken]; r.code != want {
				t.Errorf("trace --all exit %d with verdict %s", r.code, res.Verdict)
			}
			return res
		}
		res := traced()
		// Each host's part is read on that host; the network between
		// them is not the lab's to read.
		if res.Verdict != trace.VerdictUnseen || res.Broken != -1 {
			t.Errorf("verdict %s (%s)", res.Verdict, res.Summary())
		}
		got := map[string]bool{}
		for _, h := range res.Hops {
			got[h.Dir+" "+h.Node+" "+h.Kind] = true
			if h.Status == trace.StatusBroken || h.Status == trace.StatusUnseen && h.Kind != trace.KindUnseen {
				t.Errorf("hop %+v", h)
			}
		}
		for _, want := range []string{"out " + c1 + " route", "out h1 tunnel", "out h1 elsewhere", "out h2 tunnel", "out h2 flow", "out " + c2 + " deliver",
			"back " + c2 + " route", "back h2 tunnel", "back h1 flow", "back " + c1 + " deliver"} {
			if !got[want] {
				t.Errorf("no hop %q in %v", want, got)
			}
		}
		// A VLAN tag on h2's port of c2: trace names it on h2, and its
		// fix, run on h2, mends the path.
		port := topology.HostVethName(c2, 0)
		h2.vsctl(t, "set", "port", port, "tag=20")
		res = traced()
		first := res.First()
		if first == nil || first.Node != "h2" || !strings.Contains(first.Cause, c2+"'s port has tag 20") || first.Fix == nil || first.Fix.On != "h2" {
			t.Fatalf("trace --all after tagging %s: %s %+v", port, res.Summary(), first)
		}
		for _, cmd := range first.Fix.Commands {
			testenv.Run(t, "ip", "netns", "exec", h2.ns, "env", "OVS_RUNDIR="+filepath.Join(h2.dir, "ovs"), "sh", "-c", cmd)
		}
		if res = traced(); res.Verdict != trace.VerdictUnseen {
			t.Errorf("after the fix: %s", res.Summary())
		}
	})

	t.Run("status with keys from ssh-agent", func(t *testing.T) {
		// A HOME whose .ssh holds known_hosts but no key: the key is
		// only in the agent.
		home := t.TempDir()
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		copyFile(t, filepath.Join(l.home, ".ssh", "known_hosts"), filepath.Join(home, ".ssh", "known_hosts"))
		sock := filepath.Join(t.TempDir(), "agent.sock")
		agent := exec.Command("ssh-agent", "-D", "-a", sock)
		if err := agent.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
		testenv.Eventually(t, 5*time.Second, func() error { _, err := os.Stat(sock); return err })
		add := exec.Command("ssh-add", filepath.Join(l.home, ".ssh", "id_ed25519"))
		add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := add.CombinedOutput(); err != nil {
			t.Fatalf("ssh-add: %v: %s", err, out)
		}
		r := l.ovslabEnv(t, []string{"HOME=" + home, "SSH_AUTH_SOCK=" + sock}, "status", "--all", l.file, "-o", "json")
		var s fleet.Status
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 0 {
			t.Fatalf("status --all: %v\n%s", err, r)
		}
		var names []string
		for _, h := range s.Hosts {
			names = append(names, h.Name)
			if !h.OK() {
				t.Errorf("host %s not ok: %+v", h.Name, h)
			}
		}
		if strings.Join(names, ",") != "h1,h2" || !s.Complete {
			t.Errorf("status --all hosts %v complete=%v, want h1,h2 complete", names, s.Complete)
		}
	})

	t.Run("up again converges without copying", func(t *testing.T) {
		uuid := h2.vsctl(t, "get", "bridge", "br1", "_uuid")
		if r := l.ovslab(t, "up", "--all", l.file); r.code != 0 {
			t.Fatalf("second up --all: %s", r)
		}
		if got := h2.vsctl(t, "get", "bridge", "br1", "_uuid"); got != uuid {
			t.Errorf("h2's br1 was recreated: %s became %s", uuid, got)
		}
		for _, h := range l.hosts {
			m, _ := filepath.Glob(filepath.Join(h.libDir(), "ovslab", "ovslab-*"))
			if fi, err := os.Stat(m[0]); err != nil || !fi.ModTime().Equal(copies[h.name].ModTime()) {
				t.Errorf("%s: ovslab was copied again (%v)", h.name, err)
			}
		}
	})

	t.Run("underlay too small is named by hop", func(t *testing.T) {
		// The router's port towards h2 drops what its 1500 bytes cannot
		// hold: h1's packets get "fragmentation needed" from the router,
		// h2's vanish on the link into it.
		testenv.Run(t, "ip", "-n", l.router, "link", "set", "rh2", "mtu", "1500")
		defer testenv.Run(t, "ip", "-n", l.router, "link", "set", "rh2", "mtu", "1554")
		r := l.ovslab(t, "check", "--all", l.file, "-o", "json")
		var rep check.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 || rep.OK {
			t.Fatalf("check --all over a 1500-byte link: want exit 1 and a failed report, got %v\n%s", err, r)
		}
		want := map[string]string{
			"h1 h2": "a 1554-byte DF packet to 172.16.20.100 does not arrive: router 172.16.10.1 cannot forward it (fragmentation needed, next-hop MTU 1500)",
			"h2 h1": "a 1554-byte DF packet to 172.16.10.100 does not arrive: small packets pass, but hop 1 (172.16.20.1) drops 1554-byte ones",
		}
		for _, res := range rep.Results {
			if w, ok := want[res.From+" "+res.To]; ok && res.Kind == check.KindUnderlay {
				if res.OK || !strings.HasPrefix(res.Detail, w) {
					t.Errorf("underlay %s -> %s: ok=%v %q, want a failure starting %q", res.From, res.To, res.OK, res.Detail, w)
				}
				delete(want, res.From+" "+res.To)
			}
		}
		if len(want) > 0 {
			t.Errorf("no underlay results for %v", want)
		}
	})

	if r := l.ovslab(t, "down", "--all", l.lab); r.code != 0 {
		t.Fatalf("down --all by the lab's name: %s", r)
	}
	for _, h := range l.hosts {
		l.assertUntouched(t, h)
	}
	if r := l.ovslab(t, "status", "--all", l.lab); r.code != 2 {
		t.Errorf("status --all of a lab down --all took down: want exit 2 (forgotten), got %s", r)
	}
}
