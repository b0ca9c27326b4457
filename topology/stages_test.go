package topology

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// stageBase is a lab with what every fault kind can act on: two hosts,
// a NAT'd network routed by host1, a host port on host2, a third network
// without gateway, a tagged interface and a two-legged container.
const stageBase = `name: lab
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
  host3: {underlay: 172.16.30.100/24, gateway: 172.16.30.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, gateway: {host: host1, nat: true}}
  net2: {subnet: 10.0.2.0/24, vni: 6000, gateway: {host: host1}, host_ports: {host2: 10.0.2.2}}
  net3: {subnet: 10.0.3.0/24, vni: 7000}
containers:
  a1: {host: host1, image: busybox, network: net1, address: 10.0.1.10}
  a2: {host: host2, image: busybox, network: net1, address: 10.0.1.20}
  a3: {host: host3, image: busybox, network: net1, address: 10.0.1.30}
  b1: {host: host1, image: busybox, network: net2, address: 10.0.2.10, vlan: 10}
  c2:
    host: host2
    image: busybox
    interfaces:
      - {network: net3, address: 10.0.3.20}
      - {network: net2, address: 10.0.2.20}
stages:
  - name: s1
    text: "first"
    faults:
`

// stageBaseLines is where the first fault of stageBase goes.
var stageBaseLines = strings.Count(stageBase, "\n") + 1

// withFaults is stageBase with these faults (one line each) in stage s1.
func withFaults(faults ...string) string {
	var b strings.Builder
	b.WriteString(stageBase)
	for _, f := range faults {
		b.WriteString("      - " + f + "\n")
	}
	return b.String()
}

func mustParse(t *testing.T, src string) *Topology {
	t.Helper()
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return top
}

func TestStagesParse(t *testing.T) {
	src := withFaults(
		`{kind: mtu, on: host1, mtu: 1500}`,
		`{kind: mtu, on: router/host2, mtu: 1400}`,
		`{kind: down, on: a1}`,
		`{kind: down, on: host2/net2}`,
		`{kind: down, on: host1/net1/host3}`,
		`{kind: down, on: host3}`,
		`{kind: key, on: host2/net1, key: 5001}`,
		`{kind: remote, on: host3/net1/host1, remote: 172.16.10.200}`,
		`{kind: nat-off, on: net1}`,
		`{kind: forward-off, on: host1}`,
		`{kind: vlan, on: "b1", tag: 20}`,
		`{kind: impair, on: "c2:net2", impair: {rate: 1mbit}}`,
		`{kind: stop, on: a3}`,
		`{kind: route, on: a2, via: 10.0.1.99}`,
		`{kind: address, on: "c2:eth0", address: 10.0.3.99}`,
		`{kind: drop, on: host1, from: a2, to: wan}`,
		`{kind: flap, on: "a2:eth0", period: 10s, for: 1m}`,
	) + `    expect:
      - {from: a1, to: a2, reach: true, message: "stage s1"}
  - name: s2
    text: "second"
`
	top := mustParse(t, src)
	if got := top.StageNames(); strings.Join(got, ",") != "s1,s2" {
		t.Fatalf("stages %v, want s1,s2", got)
	}
	s, i, ok := top.StageByName("s1")
	if !ok || i != 0 || s.Text != "first" || len(s.Faults) != 17 {
		t.Fatalf("stage s1: %+v (index %d, found %v)", s, i, ok)
	}
	if len(s.Expect) != 1 || s.Expect[0].Stage != "s1" || s.Expect[0].Dst != netip.MustParseAddr("10.0.1.20") {
		t.Errorf("stage expect: %+v", s.Expect)
	}
	want := []struct {
		target FaultTarget
		check  func(f Fault) bool
	}{
		{FaultTarget{Host: "host1"}, func(f Fault) bool { return f.MTU == 1500 }},
		{FaultTarget{Host: "host2", Router: true}, func(f Fault) bool { return f.MTU == 1400 }},
		{FaultTarget{Host: "host1", Node: "a1", Iface: "eth0", Network: "net1"}, nil},
		{FaultTarget{Host: "host2", Network: "net2"}, nil},
		{FaultTarget{Host: "host1", Network: "net1", Peer: "host3"}, nil},
		{FaultTarget{Host: "host3"}, nil},
		{FaultTarget{Host: "host2", Network: "net1"}, func(f Fault) bool { return f.Key == 5001 }},
		{FaultTarget{Host: "host3", Network: "net1", Peer: "host1"}, func(f Fault) bool { return f.Remote == netip.MustParseAddr("172.16.10.200") }},
		{FaultTarget{Network: "net1"}, nil},
		{FaultTarget{Host: "host1"}, nil},
		{FaultTarget{Host: "host1", Node: "b1", Iface: "eth0", Network: "net2"}, func(f Fault) bool { return f.Tag == 20 }},
		{FaultTarget{Host: "host2", Node: "c2", Iface: "eth1", Network: "net2"}, func(f Fault) bool { return f.Impair != nil && f.Impair.Rate == 1e6 }},
		{FaultTarget{Host: "host3", Node: "a3", Iface: "eth0", Network: "net1"}, nil},
		{FaultTarget{Host: "host2", Node: "a2", Iface: "eth0", Network: "net1"}, func(f Fault) bool { return f.Via == netip.MustParseAddr("10.0.1.99") }},
		{FaultTarget{Host: "host2", Node: "c2", Iface: "eth0", Network: "net3"}, func(f Fault) bool { return f.Address == netip.MustParsePrefix("10.0.3.99/24") }},
		{FaultTarget{Host: "host1"}, func(f Fault) bool {
			return f.Chain == "FORWARD" && f.Src == netip.MustParseAddr("10.0.1.20") && f.Dst == netip.MustParseAddr("198.51.100.1")
		}},
		{FaultTarget{Host: "host2", Node: "a2", Iface: "eth0", Network: "net1"}, func(f Fault) bool { return f.Period == 10*time.Second && f.For == time.Minute }},
	}
	for i, w := range want {
		f := s.Faults[i]
		if f.Target != w.target {
			t.Errorf("fault %d (%s): target %+v, want %+v", i, f, f.Target, w.target)
		}
		if w.check != nil && !w.check(f) {
			t.Errorf("fault %d: values %+v", i, f)
		}
		if f.Line != stageBaseLines+i {
			t.Errorf("fault %d: line %d, want %d", i, f.Line, stageBaseLines+i)
		}
	}
}

func TestDropChains(t *testing.T) {
	for _, tc := range []struct {
		fault      string
		chain      string
		src, dst   string
		wantErrMsg string
	}{
		{fault: `{kind: drop, on: host1, from: a1, to: c2.net2}`, chain: "FORWARD", src: "10.0.1.10", dst: "10.0.2.20"},
		{fault: `{kind: drop, on: host1, from: a1, to: 10.0.1.1}`, chain: "INPUT", src: "10.0.1.10", dst: "10.0.1.1"},
		{fault: `{kind: drop, on: host2, from: host2, to: c2.net2}`, chain: "OUTPUT", dst: "10.0.2.20"},
		{fault: `{kind: drop, on: host1, from: a1, to: a2}`, wantErrMsg: "switched by OVS"},
		{fault: `{kind: drop, on: host2, from: a2, to: wan}`, wantErrMsg: "routed by host1"},
		{fault: `{kind: drop, on: host1, from: b1, to: wan}`, wantErrMsg: "b1 has no default route"},
	} {
		top, err := Parse("lab.yaml", []byte(withFaults(tc.fault)))
		if tc.wantErrMsg != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErrMsg) {
				t.Errorf("%s: error %v, want one saying %q", tc.fault, err, tc.wantErrMsg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.fault, err)
			continue
		}
		f := top.Stages[0].Faults[0]
		src := ""
		if f.Src.IsValid() {
			src = f.Src.String()
		}
		if f.Chain != tc.chain || src != tc.src || f.Dst.String() != tc.dst {
			t.Errorf("%s: %s -s %s -d %s, want %s -s %s -d %s", tc.fault, f.Chain, src, f.Dst, tc.chain, tc.src, tc.dst)
		}
	}
}

func TestStageErrors(t *testing.T) {
	l := stageBaseLines
	runErrCases(t, []errCase{
		{name: "stages not a list", yaml: strings.Replace(stageBase, "stages:\n  - name: s1\n    text: \"first\"\n    faults:\n", "stages: x\n", 1), line: l - 4, field: "stages", msg: "expected a list"},
		{name: "missing text", yaml: strings.Replace(stageBase, `    text: "first"`+"\n", "", 1) + "      - {kind: stop, on: a1}\n", line: l - 3, field: "stages[0].text", msg: `missing required field "text"`},
		{name: "bad stage name", yaml: strings.Replace(withFaults(`{kind: stop, on: a1}`), "name: s1", "name: Next_1", 1), line: l - 3, col: 11, field: "stages[0].name", msg: "stage name"},
		{name: "reserved stage name", yaml: strings.Replace(withFaults(`{kind: stop, on: a1}`), "name: s1", "name: next", 1), line: l - 3, field: "stages[0].name", msg: "reserved"},
		{name: "duplicate stage", yaml: withFaults(`{kind: stop, on: a1}`) + "  - {name: s1, text: again}\n", line: l + 1, field: "stages[1].name", msg: `duplicate stage "s1"; first named at line`},
		{name: "unknown stage key", yaml: withFaults(`{kind: stop, on: a1}`) + "  - {name: s2, text: t, fault: []}\n", line: l + 1, field: "stages[1].fault", msg: `did you mean "faults"?`},
		{name: "unknown kind", yaml: withFaults(`{kind: unplug, on: a1}`), line: l, col: 16, field: "stages[0].faults[0].kind", msg: `unknown fault kind "unplug"; kinds are: address, down`},
		{name: "key of another kind", yaml: withFaults(`{kind: stop, on: a1, mtu: 1500}`), line: l, col: 30, field: "stages[0].faults[0].mtu", msg: "a stop fault takes only on"},
		{name: "unknown fault key", yaml: withFaults(`{kind: stop, on: a1, colour: red}`), line: l, field: "stages[0].faults[0].colour", msg: "unknown field"},
		{name: "missing value", yaml: withFaults(`{kind: mtu, on: host1}`), line: l, field: "stages[0].faults[0].mtu", msg: `missing required field "mtu"`},
		{name: "missing on", yaml: withFaults(`{kind: stop}`), line: l, field: "stages[0].faults[0].on", msg: `missing required field "on"`},
		{name: "mtu on a container", yaml: withFaults(`{kind: mtu, on: a1, mtu: 1500}`), line: l, field: "stages[0].faults[0].on", msg: `"a1" is a container; a mtu fault acts on a host's underlay NIC`},
		{name: "mtu as the file's", yaml: withFaults(`{kind: mtu, on: host1, mtu: 1554}`), line: l, field: "stages[0].faults[0].mtu", msg: "is the underlay's own"},
		{name: "mtu out of range", yaml: withFaults(`{kind: mtu, on: host1, mtu: 100}`), line: l, field: "stages[0].faults[0].mtu", msg: "out of range 576..9216"},
		{name: "router of unknown host", yaml: withFaults(`{kind: mtu, on: router/host9, mtu: 1500}`), line: l, field: "stages[0].faults[0].on", msg: `unknown host "host9"`},
		{name: "unknown target", yaml: withFaults(`{kind: down, on: nobody}`), line: l, field: "stages[0].faults[0].on", msg: `"nobody" is no host, container or network`},
		{name: "unknown interface", yaml: withFaults(`{kind: down, on: "a1:eth3"}`), line: l, field: "stages[0].faults[0].on", msg: "a1 has no interface \"eth3\"; it has eth0 (net1)"},
		{name: "host not carrying", yaml: withFaults(`{kind: key, on: host3/net2, key: 1}`), line: l, field: "stages[0].faults[0].on", msg: "host3 does not carry net2"},
		{name: "tunnel to itself", yaml: withFaults(`{kind: down, on: host1/net1/host1}`), line: l, field: "stages[0].faults[0].on", msg: "no tunnel to itself"},
		{name: "down without own port", yaml: withFaults(`{kind: down, on: host3/net1}`), line: l, field: "stages[0].faults[0].on", msg: "host3 has no port of its own on net1"},
		{name: "key equal to vni", yaml: withFaults(`{kind: key, on: host1/net1, key: 5000}`), line: l, field: "stages[0].faults[0].key", msg: "is the VNI of net1 already"},
		{name: "key of a lone host", yaml: withFaults(`{kind: key, on: host2/net3, key: 1}`), line: l, field: "stages[0].faults[0].on", msg: "host2 is the only host carrying net3"},
		{name: "remote of several tunnels", yaml: withFaults(`{kind: remote, on: host1/net1, remote: 172.16.99.1}`), line: l, field: "stages[0].faults[0].on", msg: "one remote for all would make them clash"},
		{name: "remote as it is", yaml: withFaults(`{kind: remote, on: host1/net1/host2, remote: 172.16.20.100}`), line: l, field: "stages[0].faults[0].remote", msg: "already the remote"},
		{name: "remote is self", yaml: withFaults(`{kind: remote, on: host1/net1/host2, remote: 172.16.10.100}`), line: l, field: "stages[0].faults[0].remote", msg: "own underlay address"},
		{name: "nat-off without nat", yaml: withFaults(`{kind: nat-off, on: net2}`), line: l, field: "stages[0].faults[0].on", msg: "net2 has no NAT to remove"},
		{name: "forward-off on a host that routes nothing", yaml: withFaults(`{kind: forward-off, on: host2}`), line: l, field: "stages[0].faults[0].on", msg: "holds no network's gateway"},
		{name: "vlan as it is", yaml: withFaults(`{kind: vlan, on: b1, tag: 10}`), line: l, field: "stages[0].faults[0].tag", msg: "tag 10 is already the interface's"},
		{name: "vlan out of range", yaml: withFaults(`{kind: vlan, on: b1, tag: 4095}`), line: l, field: "stages[0].faults[0].tag", msg: "out of range 0..4094"},
		{name: "stop an interface", yaml: withFaults(`{kind: stop, on: "a1:eth0"}`), line: l, field: "stages[0].faults[0].on", msg: "a stop fault acts on a container (NODE)"},
		{name: "route off subnet", yaml: withFaults(`{kind: route, on: a1, via: 10.0.9.1}`), line: l, field: "stages[0].faults[0].via", msg: "on none of a1's networks"},
		{name: "route as it is", yaml: withFaults(`{kind: route, on: a1, via: 10.0.1.1}`), line: l, field: "stages[0].faults[0].via", msg: "default gateway already"},
		{name: "address as it is", yaml: withFaults(`{kind: address, on: a1, address: 10.0.1.10}`), line: l, field: "stages[0].faults[0].address", msg: "the interface's own address"},
		{name: "address bad length", yaml: withFaults(`{kind: address, on: a1, address: 10.0.1.9/32}`), line: l, field: "stages[0].faults[0].address", msg: "prefix length of 1..30"},
		{name: "flap period too short", yaml: withFaults(`{kind: flap, on: a1, period: 1s, for: 1m}`), line: l, field: "stages[0].faults[0].period", msg: "out of range 2s..1h0m0s"},
		{name: "flap without for", yaml: withFaults(`{kind: flap, on: a1, period: 10s}`), line: l, field: "stages[0].faults[0].for", msg: `missing required field "for"`},
		{name: "flap bad duration", yaml: withFaults(`{kind: flap, on: a1, period: 10, for: 1m}`), line: l, field: "stages[0].faults[0].period", msg: "expected a duration"},
		{name: "two faults on one link", yaml: withFaults(`{kind: down, on: a1}`, `{kind: flap, on: "a1:net1", period: 4s, for: 8s}`), line: l + 1, field: "stages[0].faults[1]", msg: "the link of a1:eth0 is already changed by the fault at line " + strconv.Itoa(l)},
		{name: "key twice on one tunnel", yaml: withFaults(`{kind: key, on: host1/net1, key: 1}`, `{kind: key, on: host1/net1/host2, key: 2}`), line: l + 1, field: "stages[0].faults[1]", msg: "the key of the tunnel host1/net1/host2 is already changed"},
		{name: "fault on a stopped container", yaml: withFaults(`{kind: stop, on: a1}`, `{kind: vlan, on: a1, tag: 5}`), line: l + 1, field: "stages[0].faults[1].on", msg: "a1 is stopped by the fault at line"},
		{name: "impair empty", yaml: withFaults(`{kind: impair, on: a1, impair: {}}`), line: l, field: "stages[0].faults[0].impair", msg: "impair is empty"},
		{name: "stage expect unknown node", yaml: withFaults(`{kind: stop, on: a1}`) + "    expect:\n      - {from: zz, to: a1, reach: true}\n", line: l + 2, field: "stages[0].expect[0].from", msg: `unknown container "zz"`},
	})
}

// TestFaultStrings keeps the names a student reads stable.
func TestFaultStrings(t *testing.T) {
	top := mustParse(t, withFaults(`{kind: vlan, on: b1, tag: 0}`, `{kind: drop, on: host1, from: a1, to: wan}`, `{kind: flap, on: a2, period: 4s, for: 10s}`))
	var got []string
	for _, f := range top.Stages[0].Faults {
		got = append(got, f.String())
	}
	want := "vlan untagged on b1 | drop a1 -> wan in host1 | flap every 4s for 10s on a2"
	if strings.Join(got, " | ") != want {
		t.Errorf("got %q, want %q", strings.Join(got, " | "), want)
	}
}

func TestLabWithoutStages(t *testing.T) {
	top := mustParse(t, base)
	if len(top.Stages) != 0 || len(top.StageNames()) != 0 {
		t.Errorf("stages %v", top.Stages)
	}
	if _, _, ok := top.StageByName("s1"); ok {
		t.Error("StageByName found a stage in a lab without stages")
	}
}
