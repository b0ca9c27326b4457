package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// gradedLab has expectations that hold and two that do not: gr-e3 and
// gr-e4 share net2, so "not reachable" is false; and no round trip on one
// machine takes 5 seconds. net2 has no gateway, so nothing routes into it
// from net1: that "not reachable" holds.
const gradedLab = `name: gr-expect
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, bridge: br1, gateway: {host: host1, nat: true}}
  net2: {subnet: 10.0.2.0/24, vni: 6000, bridge: br2}
containers:
  gr-e1: {host: host1, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.10}
  gr-e2: {host: host2, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.20}
  gr-e3: {host: host2, image: ovslab/busybox, command: [sleep, infinity], network: net2, address: 10.0.2.30}
  gr-e4: {host: host1, image: ovslab/busybox, command: [sleep, infinity], network: net2, address: 10.0.2.40}
expect:
  - {from: gr-e1, to: gr-e2, reach: true}
  - {from: gr-e1, to: gr-e3, reach: false, message: "net2 has no gateway: nothing routes into it"}
  - {from: gr-e1, to: gr-e2, mtu: 1500, message: "full-size packets cross the tunnel"}
  - {from: gr-e2, to: wan, reach: true, message: "host1 masquerades net1"}
  - {from: gr-e1, to: gr-e2.net1, rtt: {max: 2s}}
  - {from: gr-e3, to: gr-e4, reach: false, message: "GRADE-NOT-ISOLATED: gr-e3 and gr-e4 are both on net2"}
  - {from: gr-e1, to: 10.0.1.1, rtt: {min: 5s, max: 10s}, message: "GRADE-TOO-FAST: a lab round trip takes no 5 seconds"}
`

type checkJSON struct {
	OK      bool `json:"ok"`
	Results []struct {
		Kind    string `json:"kind"`
		From    string `json:"from"`
		To      string `json:"to"`
		OK      bool   `json:"ok"`
		Detail  string `json:"detail"`
		Want    string `json:"want"`
		Message string `json:"message"`
	} `json:"results"`
}

// TestRootExpect grades a lab whose file holds passing and failing
// expectations, in all three output formats, then breaks a container so
// that a "not reachable" that held turns into a failure: silence from a
// container that reaches nothing proves nothing.
func TestRootExpect(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip")
	testenv.RequireDocker(t)
	const lab = "gr-expect"
	file := writeFile(t, "topology.yaml", gradedLab)
	t.Cleanup(func() {
		if r := ovslab(t, "down", lab); r.code != 0 {
			t.Logf("cleanup: %s", r)
		}
	})
	if r := ovslab(t, "up", "--emulate", file); r.code != 0 {
		t.Fatalf("up: %s", r)
	}

	failing := map[string]string{ // case name in JUnit → the author's message
		"gr-e3 -> gr-e4 (10.0.2.40): reach: false": "GRADE-NOT-ISOLATED: gr-e3 and gr-e4 are both on net2",
		"gr-e1 -> 10.0.1.1: rtt: 5s..10s":          "GRADE-TOO-FAST: a lab round trip takes no 5 seconds",
	}

	t.Run("text", func(t *testing.T) {
		r := ovslab(t, "check", lab)
		if r.code != 1 {
			t.Fatalf("exit %d, want 1 (two expectations fail)\n%s", r.code, r)
		}
		lines := strings.Split(r.stdout, "\n")
		for name, msg := range failing {
			from, rest, _ := strings.Cut(name, " -> ")
			to, want, _ := strings.Cut(rest, ": ")
			i := lineWith(lines, "FAIL", "expect", from+" -> "+to, want+": ")
			if i < 0 {
				t.Errorf("no FAIL line for %s:\n%s", name, r.stdout)
				continue
			}
			if i+1 >= len(lines) || !strings.Contains(lines[i+1], msg) {
				t.Errorf("the line after the failure of %s does not hold its message %q:\n%s", name, msg, r.stdout)
			}
			if i+2 >= len(lines) || !strings.Contains(lines[i+2], "explain: ovslab trace "+lab+" "+from+" ") {
				t.Errorf("the failure of %s does not end with the trace that explains it:\n%s", name, r.stdout)
			}
		}
		if n := strings.Count(r.stdout, "FAIL"); n != 3 { // two results and the summary
			t.Errorf("%d FAIL in the report, want 2 results and the summary:\n%s", n, r.stdout)
		}
		if !strings.Contains(r.stdout, "2 of ") || !strings.Contains(r.stdout, "checks FAILED") {
			t.Errorf("summary does not count 2 failures:\n%s", r.stdout)
		}
	})

	t.Run("json", func(t *testing.T) {
		r := ovslab(t, "check", lab, "-o", "json")
		var rep checkJSON
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 || rep.OK {
			t.Fatalf("want exit 1 and a JSON report with ok false (%v):\n%s", err, r)
		}
		got := map[string]bool{}
		expects := 0
		for _, res := range rep.Results {
			if res.Kind != "expect" {
				if !res.OK {
					t.Errorf("built-in probe failed: %+v", res)
				}
				continue
			}
			expects++
			got[res.From+" -> "+res.To+": "+res.Want] = res.OK
			if res.From == "gr-e1" && res.Want == "reach: false" && (!res.OK || !strings.Contains(res.Detail, "control 10.0.1.1 replied")) {
				t.Errorf("the isolation that holds: %+v, want ok with the control named", res)
			}
		}
		if expects != 7 {
			t.Errorf("%d expect results, want 7", expects)
		}
		for name, ok := range got {
			if _, bad := failing[name]; ok == bad {
				t.Errorf("%s: ok=%v, want %v", name, ok, !bad)
			}
		}
	})

	t.Run("junit", func(t *testing.T) {
		r := ovslab(t, "check", lab, "-o", "junit")
		if r.code != 1 {
			t.Fatalf("exit %d, want 1\n%s", r.code, r)
		}
		doc := parseJUnit(t, []byte(r.stdout))
		if doc.Failures != len(failing) {
			t.Errorf("%d failures in all, want %d:\n%s", doc.Failures, len(failing), r.stdout)
		}
		seen := 0
		for _, s := range doc.Suites {
			for _, c := range s.Cases {
				msg, bad := failing[c.Name]
				switch {
				case bad && (c.Failure == nil || c.Failure.Message != msg):
					t.Errorf("case %q: failure %+v, want message %q", c.Name, c.Failure, msg)
				case !bad && c.Failure != nil:
					t.Errorf("case %q failed: %+v", c.Name, c.Failure)
				}
				if s.Name == "gr-expect.expect" {
					seen++
				}
			}
		}
		if seen != 7 {
			t.Errorf("%d cases in suite gr-expect.expect, want 7:\n%s", seen, r.stdout)
		}
	})

	t.Run("silence without a control", func(t *testing.T) {
		// gr-e1 loses its network (the host end of its veth goes down):
		// gr-e3 is as silent as before, but the control (the gateway) is
		// silent too, so the isolation fails.
		testenv.Run(t, "ip", "-n", lab+"-host1", "link", "set", "vgr-e1", "down")
		r := ovslab(t, "check", lab, "-o", "json")
		var rep checkJSON
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
			t.Fatalf("%v\n%s", err, r)
		}
		for _, res := range rep.Results {
			if res.Kind == "expect" && res.From == "gr-e1" && res.Want == "reach: false" {
				if res.OK || !strings.Contains(res.Detail, "control 10.0.1.1 did not reply either") {
					t.Errorf("isolation from a container with no network: %+v, want a failure naming the control", res)
				}
				return
			}
		}
		t.Errorf("no result for gr-e1's reach: false:\n%s", r.stdout)
	})
}

// lineWith is the index of the first line holding every word, or -1.
func lineWith(lines []string, words ...string) int {
	for i, l := range lines {
		all := true
		for _, w := range words {
			all = all && strings.Contains(l, w)
		}
		if all {
			return i
		}
	}
	return -1
}
