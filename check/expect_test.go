package check

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

const expectLab = `name: ex
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, gateway: {host: host1, nat: true}}
  net2: {subnet: 10.0.2.0/24, vni: 6000}
containers:
  ca: {host: host1, image: x, network: net1, address: 10.0.1.10}
  cb: {host: host2, image: x, network: net1, address: 10.0.1.20}
  cc: {host: host2, image: x, network: net2, address: 10.0.2.30}
  cd: {host: host1, image: x, network: net2, address: 10.0.2.40}
expect:
  - {from: ca, to: wan, reach: true}
  - {from: cb, to: ca, reach: true}
  - {from: ca, to: cb, mtu: 1500, message: "full-size frames cross the tunnel"}
`

// TestGradeWithoutProbing covers what check decides before sending
// anything: no emulated internet on real hosts, a container on another
// host, a container that is not running.
func TestGradeWithoutProbing(t *testing.T) {
	top, err := topology.Parse("ex.yaml", []byte(expectLab))
	if err != nil {
		t.Fatal(err)
	}
	real := &labs.State{Lab: "ex", Mode: labs.ModeReal, Hosts: []string{"host1"}}
	emu := &labs.State{Lab: "ex", Mode: labs.ModeEmulated, Hosts: []string{"host1", "host2"}}
	for _, tc := range []struct {
		name    string
		st      *labs.State
		e       int
		skipped bool
		detail  string
	}{
		{"wan on real hosts", real, 0, true, "only labs up with --emulate have one"},
		{"sender on another host", real, 1, true, "cb runs on host2: ovslab check there grades this"},
		{"sender not running", emu, 2, false, "ca is not running (see ovslab status ex)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gradeExpectation(context.Background(), top, tc.st, map[string]int{}, top.Expect[tc.e])
			if r.Skipped != tc.skipped || r.OK != tc.skipped || !strings.Contains(r.Detail, tc.detail) {
				t.Errorf("got ok=%v skipped=%v %q; want ok=skipped=%v and %q", r.OK, r.Skipped, r.Detail, tc.skipped, tc.detail)
			}
			if r.Kind != KindExpect || r.Want != top.Expect[tc.e].Want() || r.Message != top.Expect[tc.e].Message {
				t.Errorf("result %+v does not carry the expectation", r)
			}
		})
	}
}

// TestGradeHostSender: a host sending through its host port is graded on
// the machine that applied that host, like a container.
func TestGradeHostSender(t *testing.T) {
	top, err := topology.Parse("ex.yaml", []byte(expectLab))
	if err != nil {
		t.Fatal(err)
	}
	e := topology.Expectation{From: "host2", FromHost: true, To: "ca", Dst: netip.MustParseAddr("10.0.1.10"), Kind: topology.ExpectReach, Reach: true}
	real := &labs.State{Lab: "ex", Mode: labs.ModeReal, Hosts: []string{"host1"}}
	r := gradeExpectation(context.Background(), top, real, nil, e)
	if !r.Skipped || !strings.Contains(r.Detail, "host2 is another machine") {
		t.Errorf("host2's probe checked on host1: %+v, want it skipped", r)
	}
}

// TestSilenceNeedsAControl: a reach: false whose sender has nothing it
// must reach never passes: its silence would look the same if it were
// broken (vlan-tenants' spy passed so, before it had a neighbour).
func TestSilenceNeedsAControl(t *testing.T) {
	e := topology.Expectation{From: "spy", To: "red1", Dst: netip.MustParseAddr("10.0.1.11"), Kind: topology.ExpectReach}
	ok, detail := gradeSilence(context.Background(), "/nonexistent", e, netip.Addr{})
	if ok || !strings.Contains(detail, "cannot be graded: nothing on spy's networks must answer it") {
		t.Errorf("no control address: ok=%v %q, want a failure saying it cannot be graded", ok, detail)
	}
}
