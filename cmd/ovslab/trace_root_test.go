package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/trace"
)

// TestRootTraceCLI is a student's way through a broken lab with the
// command line alone: check fails and names the trace that explains it;
// that trace names the broken hop and its fix; the fix, run with ovslab
// exec, makes check pass.
func TestRootTraceCLI(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip", "iptables")
	testenv.RequireDocker(t)
	const lab = "trace-cli"
	t.Cleanup(func() {
		if r := ovslab(t, "down", lab); r.code != 0 {
			t.Logf("cleanup: %s", r)
		}
	})
	if r := ovslab(t, "up", "--emulate", "l3-vxlan", "--name", lab); r.code != 0 {
		t.Fatalf("up: %s", r)
	}
	for _, args := range [][]string{
		{"trace", lab, "doc9", "doc3"},
		{"trace", lab, "doc1", "doc3", "--proto", "sctp:1"},
		{"trace", lab, "doc1", "doc3", "--size", "20"},
		{"trace", "nosuchlab", "doc1", "doc3"},
		{"trace", lab, "doc1"},
	} {
		if r := ovslab(t, args...); r.code != 2 {
			t.Errorf("%v: want exit 2 (bad usage), got %s", args, r)
		}
	}
	if r := ovslab(t, "trace", lab, "doc1", "doc3"); r.code != 0 || !strings.Contains(r.stdout, "delivered: a 1500-byte icmp packet from 10.0.1.10 reaches 10.0.1.20") {
		t.Fatalf("healthy trace: %s", r)
	}

	if r := ovslab(t, "exec", lab, "host1", "--", "ovs-vsctl", "set", "interface", "eth0", "mtu_request=1500"); r.code != 0 {
		t.Fatalf("break: %s", r)
	}
	r := ovslab(t, "check", lab)
	if r.code != 1 {
		t.Fatalf("check of a 1500-byte underlay: want exit 1, got %s", r)
	}
	var explain []string
	for _, l := range strings.Split(r.stdout, "\n") {
		if _, cmd, ok := strings.Cut(l, "explain: ovslab "); ok && strings.Contains(cmd, "--size 1500") {
			explain = strings.Fields(cmd)
			break
		}
	}
	if len(explain) == 0 {
		t.Fatalf("no full-size failure of check names its trace:\n%s", r.stdout)
	}
	r = ovslab(t, explain...)
	if r.code != 1 || !strings.Contains(r.stdout, "BROKEN") || !strings.Contains(r.stdout, "underlay NIC eth0 has MTU 1500 < 1550 needed for a 1500-byte packet in VXLAN") {
		t.Fatalf("ovslab %v: want exit 1 naming eth0's MTU, got %s", explain, r)
	}
	r = ovslab(t, append(explain, "-o", "json")...)
	var res trace.Result
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 1 {
		t.Fatalf("-o json: %v\n%s", err, r)
	}
	fix := res.First().Fix
	if fix == nil || fix.On == "" || len(fix.Commands) == 0 {
		t.Fatalf("no fix to run: %+v", res.First())
	}
	if r := ovslab(t, "exec", lab, fix.On, "--", "sh", "-c", strings.Join(fix.Commands, "; ")); r.code != 0 {
		t.Fatalf("the fix: %s", r)
	}
	if r := ovslab(t, "check", lab); r.code != 0 {
		t.Errorf("check after the fix: %s", r)
	}
}
