package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

// bin is the ovslab binary built once by TestMain; tests run it as users do.
var bin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

// testBinEnv names an ovslab binary built outside the test VM: compiling
// under software emulation would take minutes.
const testBinEnv = "OVSLAB_TEST_BIN"

func buildAndRun(m *testing.M) int {
	if b := os.Getenv(testBinEnv); b != "" && testenv.InVM() {
		bin = b
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "ovslab-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin = filepath.Join(dir, "ovslab")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is what one run of a command left: its output and exit code.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCmd runs argv (a command line, e.g. ovslab itself or "ip netns exec
// NS ovslab ...") in dir with stdout and stderr as pipes, never terminals.
func runCmd(t *testing.T, dir string, argv ...string) result {
	t.Helper()
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = dir
	return collect(t, c)
}

// collect runs c, made by the caller (its directory, environment,
// context), and returns its output and exit code.
func collect(t *testing.T, c *exec.Cmd) result {
	t.Helper()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v", strings.Join(c.Args, " "), err)
	}
	return r
}

// ovslab runs the binary with args in a fresh directory, so relative
// paths in args never resolve to something of the caller's.
func ovslab(t *testing.T, args ...string) result {
	t.Helper()
	return runCmd(t, t.TempDir(), append([]string{bin}, args...)...)
}

const validFile = `name: cli-ok
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, bridge: br1, gateway: {host: host1, nat: true}}
containers:
  c1: {host: host1, image: ovslab/busybox, network: net1, address: 10.0.1.10}
  c2: {host: host2, image: ovslab/busybox, network: net1, address: 10.0.1.20}
`

// brokenFile has one problem on each of several lines; validate must
// report them all at once, not stop at the first.
const brokenFile = `name: Bad_Name
hosts:
  host1:
    underlay: 172.16.10.100/24
    gateway: 172.16.10.1
    bogus: 1
  host2:
    underlay: 172.16.20.100
    gateway: 172.16.20.1
networks:
  net1:
    subnet: 10.0.1.0/24
    vni: 5000
  net2:
    subnet: 10.0.2.0/24
    vni: 5000
containers:
  doc1: {host: host3, image: x, network: net1, address: 10.0.2.10}
  doc2: {host: host1, image: x, network: net9, address: 10.0.1.11}
`

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestValidate(t *testing.T) {
	good := writeFile(t, "good.yaml", validFile)
	bad := writeFile(t, "bad.yaml", brokenFile)
	tests := []struct {
		name       string
		args       []string
		code       int
		noStdout   bool
		stderrHas  []string
		stderrNone bool
	}{
		{name: "valid file", args: []string{"validate", good}, code: 0, noStdout: true, stderrNone: true},
		{name: "built-in lab", args: []string{"validate", "l3-vxlan"}, code: 0, noStdout: true, stderrNone: true},
		{name: "missing file", args: []string{"validate", "/nonexistent/topology.yaml"}, code: 2, noStdout: true,
			stderrHas: []string{"/nonexistent/topology.yaml", "no such file", "ovslab labs"}},
		{name: "unknown lab", args: []string{"validate", "no-such-lab"}, code: 2, noStdout: true,
			stderrHas: []string{"no-such-lab", "no built-in lab"}},
		{name: "broken file", args: []string{"validate", bad}, code: 2, noStdout: true,
			stderrHas: []string{
				bad + `:1:7: name: lab name "Bad_Name" is not valid`,
				bad + `:6:5: hosts.host1.bogus: unknown field "bogus"`,
				bad + `:8:15: hosts.host2.underlay: 172.16.20.100 needs a prefix length`,
				bad + `:16:10: networks.net2.vni: VNI 5000 is already used by networks.net1`,
				bad + `:18:16: containers.doc1.host: unknown host "host3"`,
				bad + `:18:57: containers.doc1.address: 10.0.2.10 is outside the subnet 10.0.1.0/24`,
				bad + `:19:42: containers.doc2.network: unknown network "net9"`,
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ovslab(t, tc.args...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s", r.code, tc.code, r)
			}
			if tc.noStdout && r.stdout != "" {
				t.Errorf("stdout is not a terminal, want it empty; got %q", r.stdout)
			}
			if tc.stderrNone && r.stderr != "" {
				t.Errorf("want no stderr, got %q", r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			for _, want := range tc.stderrHas {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			if tc.name == "broken file" {
				// Every problem on its own line, starting with the file, as a
				// compiler prints them, so editors can jump to each.
				if len(lines) < len(tc.stderrHas) {
					t.Errorf("%d lines on stderr, want one per problem (>= %d):\n%s", len(lines), len(tc.stderrHas), r.stderr)
				}
				for _, want := range tc.stderrHas {
					if !hasLinePrefix(lines, want) {
						t.Errorf("no stderr line starts with %q:\n%s", want, r.stderr)
					}
				}
			}
		})
	}
}

func hasLinePrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

// TestUsageErrors checks that every command-line mistake exits 2 with a
// message naming what was wrong.
func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stderrHas string
	}{
		{"unknown command", []string{"frobnicate"}, `unknown command "frobnicate"`},
		{"misspelt command suggests", []string{"vaildate"}, "did you mean validate"},
		{"unknown flag", []string{"validate", "--frob", "l3-vxlan"}, "unknown flag: --frob"},
		{"unknown shorthand flag", []string{"plan", "-z", "l3-vxlan"}, "unknown shorthand flag"},
		{"validate without file", []string{"validate"}, "accepts 1 arg(s), received 0"},
		{"validate with two files", []string{"validate", "a", "b"}, "accepts 1 arg(s), received 2"},
		{"plan without file", []string{"plan"}, "accepts 1 arg(s), received 0"},
		{"up without file and no ./topology.yaml", []string{"up"}, "topology.yaml: no such file"},
		{"down with two labs", []string{"down", "a", "b"}, "accepts at most 1 arg(s), received 2"},
		{"status with two labs", []string{"status", "a", "b"}, "accepts at most 1 arg(s), received 2"},
		{"labs with two labs", []string{"labs", "a", "b"}, "accepts at most 1 arg(s), received 2"},
		{"exec without command", []string{"exec", "lab", "node"}, "LAB NODE -- CMD"},
		{"exec without --", []string{"exec", "lab", "doc1", "ping", "-c1", "10.0.1.20"}, "unknown shorthand flag: 'c' in -c1: the command's flags are read as ovslab's; put -- before the command (ovslab exec lab doc1 -- ping ...)"},
		{"plan unknown host", []string{"plan", "l3-vxlan", "--host", "nosuch"}, "host1, host2"},
		{"plan -o yaml", []string{"plan", "l3-vxlan", "-o", "yaml"}, "-o yaml: want text or json"},
		{"status -o yaml", []string{"status", "-o", "yaml"}, "-o yaml: want text or json"},
		{"status -o junit", []string{"status", "-o", "junit"}, "-o junit: want text or json"},
		{"check -o yaml", []string{"check", "-o", "yaml"}, "-o yaml: want text, json or junit"},
		{"labs unknown lab", []string{"labs", "no-such-lab"}, `no built-in lab "no-such-lab"`},
		{"labs --yaml of an unknown lab", []string{"labs", "no-such-lab", "--yaml"}, `no built-in lab "no-such-lab"`},
		{"labs --yaml without a lab", []string{"labs", "--yaml"}, "--yaml needs a LAB"},
		{"status of a lab not here", []string{"status", "nosuchlab-cli"}, "nosuchlab-cli"},
		{"down with a path as lab", []string{"down", "../etc"}, `lab name "../etc"`},
		{"status with a path as lab", []string{"status", "../etc"}, `lab name "../etc"`},
		{"up --all --emulate", []string{"up", "--all", "--emulate", "l3-vxlan"}, "--all drives real hosts over SSH; --emulate builds"},
		{"up --all --host", []string{"up", "--all", "--host", "host1", "l3-vxlan"}, "--all runs every host's part; --host picks one"},
		{"check --all without the file", []string{"check", "--all", "nosuch.yaml"}, "nosuch.yaml: no such file"},
		{"down --all of a bad file", []string{"down", "--all", "bad.yaml"}, "bad.yaml: no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ovslab(t, tc.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2\n%s", r.code, r)
			}
			if !strings.Contains(r.stderr, tc.stderrHas) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderrHas, r.stderr)
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
				t.Errorf("want a one-line message, got:\n%s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("want no stdout on a usage error, got:\n%s", r.stdout)
			}
		})
	}
}

func TestPlanJSON(t *testing.T) {
	r := ovslab(t, "plan", "l3-vxlan", "--host", "host1", "-o", "json")
	if r.code != 0 {
		t.Fatalf("plan: %s", r)
	}
	var plans []struct {
		Lab     string `json:"lab"`
		Host    string `json:"host"`
		Bridges []struct {
			Name    string `json:"name"`
			VNI     int    `json:"vni"`
			Tunnels []struct {
				Port     string `json:"port"`
				RemoteIP string `json:"remote_ip"`
				Key      int    `json:"key"`
			} `json:"tunnels"`
		} `json:"bridges"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &plans); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if len(plans) != 1 || plans[0].Host != "host1" || plans[0].Lab != "l3-vxlan" {
		t.Fatalf("want one plan for l3-vxlan host1, got %+v", plans)
	}
	want := map[string]int{"br1": 5000, "br2": 6000}
	got := map[string]int{}
	for _, b := range plans[0].Bridges {
		if len(b.Tunnels) != 1 {
			t.Errorf("bridge %s: %d tunnels, want 1 (to host2)", b.Name, len(b.Tunnels))
			continue
		}
		tun := b.Tunnels[0]
		if tun.RemoteIP != "172.16.20.100" {
			t.Errorf("bridge %s: tunnel to %s, want 172.16.20.100", b.Name, tun.RemoteIP)
		}
		got[b.Name] = tun.Key
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("bridges and tunnel keys = %v, want %v", got, want)
	}
}

// TestPlanShowsNewerKeys: what a student reads in `ovslab plan` before up
// (text and JSON) names host ports, VLAN tags, MTUs, impairments and names.
func TestPlanShowsNewerKeys(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"plan", "host-overlay", "--host", "host3"}, []string{"net1          10.0.1.3/24, MTU 1500 (host port: this host on the network)"}},
		{[]string{"plan", "host-overlay", "--host", "host2", "-o", "json"}, []string{`"host_port": {`, `"address": "10.0.1.2/24"`}},
		{[]string{"plan", "vlan-tenants", "--host", "host1"}, []string{"-> red1 eth0 (VLAN 10, access port)", "-> spy eth0 (untagged)"}},
		{[]string{"plan", "vlan-tenants", "--host", "host2", "-o", "json"}, []string{`"vlan": 20`}},
		{[]string{"plan", "impaired-wan", "--host", "site-a"}, []string{"impaired: rate 10mbit (tbf on both ends)"}},
		{[]string{"plan", "impaired-wan", "--host", "site-a", "-o", "json"}, []string{`"impair": {`, `"rate": "10mbit"`}},
		{[]string{"plan", "names", "--host", "host2"}, []string{"names: /etc/hosts of each container here resolves 10 names", "app.back      10.0.2.21"}},
		{[]string{"plan", "names", "--host", "host1", "-o", "json"}, []string{`"name": "web.back"`}},
	} {
		r := ovslab(t, tc.args...)
		if r.code != 0 {
			t.Errorf("%v: %s", tc.args, r)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("ovslab %s lacks %q:\n%s", strings.Join(tc.args, " "), w, r.stdout)
			}
		}
	}
}

func TestInformational(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		stdoutHas []string
	}{
		{"labs lists the catalog", []string{"labs"}, []string{"l3-vxlan"}},
		{"labs prints a README", []string{"labs", "l3-vxlan"}, []string{"# l3-vxlan", "VXLAN"}},
		{"plan as text", []string{"plan", "l3-vxlan", "--host", "host2"}, []string{"br1", "br2"}},
		// down is idempotent: a lab that is not here is nothing to do.
		{"down of a lab not here", []string{"down", "nosuchlab-cli"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ovslab(t, tc.args...)
			if r.code != 0 {
				t.Fatalf("%s", r)
			}
			for _, want := range tc.stdoutHas {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

// TestLabsYAML follows a student who saves a built-in lab to a file, edits
// it as the l3-vxlan README's MTU experiment does, and checks it.
func TestLabsYAML(t *testing.T) {
	for _, lab := range catalog.Names() {
		t.Run(lab, func(t *testing.T) {
			r := ovslab(t, "labs", lab, "--yaml")
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("%s", r)
			}
			want, _ := catalog.Get(lab)
			if r.stdout != string(want) {
				t.Fatalf("stdout is not the lab's topology file:\n%s", r.stdout)
			}
			file := writeFile(t, "topology.yaml", r.stdout)
			v := ovslab(t, "validate", file)
			switch {
			case lab == "mtu-broken": // broken on purpose: valid, with the warning that is the exercise's first clue, and no more (hints: symptoms)
				if v.code != 0 || !strings.Contains(v.stderr, "1500-byte packets that cross between hosts will be lost") || strings.Contains(v.stderr, "underlay.mtu") {
					t.Errorf("want a valid file with the MTU warning saying what is seen, not the fix: %s", v)
				}
			case v.code != 0 || v.stderr != "":
				t.Errorf("the saved file does not validate cleanly: %s", v)
			}
			builtin, saved := ovslab(t, "plan", lab, "-o", "json"), ovslab(t, "plan", file, "-o", "json")
			if builtin.code != 0 || saved.stdout != builtin.stdout {
				t.Errorf("plan of the saved file differs from the built-in lab's:\n%s\n%s", saved, builtin)
			}
		})
	}
	t.Run("mtu experiment", func(t *testing.T) {
		data, _ := catalog.Get("l3-vxlan")
		if n := strings.Count(string(data), "\n  mtu: 1554\n"); n != 1 {
			t.Fatalf("l3-vxlan has %d '  mtu: 1554' lines; its README's sed edit wants exactly 1", n)
		}
		text := strings.ReplaceAll(string(data), "\n  mtu: 1554\n", "\n  mtu: 1500\n")
		r := ovslab(t, "validate", writeFile(t, "topology.yaml", text))
		if r.code != 0 || !strings.Contains(r.stderr, "underlay.mtu 1500 is below 1550") || !strings.Contains(r.stderr, "set underlay.mtu: 1554") {
			t.Errorf("want a valid file with the MTU warning: %s", r)
		}
	})
}

func TestHelp(t *testing.T) {
	cmds := []string{"", "validate", "plan", "labs", "up", "down", "status", "exec", "help"}
	for _, c := range cmds {
		for _, flag := range []string{"--help", "-h"} {
			args := strings.Fields(c + " " + flag)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := ovslab(t, args...)
				if r.code != 0 {
					t.Fatalf("%s", r)
				}
				if !strings.Contains(r.stdout, "Usage:") {
					t.Errorf("help lacks a Usage section:\n%s", r.stdout)
				}
				if c != "" && c != "help" && !strings.Contains(r.stdout, "ovslab "+c) {
					t.Errorf("help does not name the command %q:\n%s", c, r.stdout)
				}
			})
		}
	}
	t.Run("help up", func(t *testing.T) {
		r := ovslab(t, "help", "up")
		if r.code != 0 || !strings.Contains(r.stdout, "--host") {
			t.Errorf("want up's help with --host:\n%s", r)
		}
	})
	t.Run("bare ovslab", func(t *testing.T) {
		r := ovslab(t)
		if r.code != 0 || !strings.Contains(r.stdout, "Available Commands") {
			t.Errorf("want the command list:\n%s", r)
		}
	})
}
