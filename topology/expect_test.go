package topology

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

// withExpect is base with an expect: section; its first entry is on line 31.
func withExpect(entries ...string) string {
	return base + "expect:\n" + strings.Join(entries, "\n") + "\n"
}

func TestExpectResolves(t *testing.T) {
	src := withExpect(
		"  - {from: doc1, to: doc2, reach: true}",
		"  - {from: doc2, to: doc1, reach: false, message: \"isolated\"}",
		"  - {from: doc1, to: doc2.net2, mtu: 1500}",
		"  - {from: doc1, to: wan, reach: true}",
		"  - {from: doc1, to: 10.0.1.1, rtt: {min: 1ms, max: 400ms}}",
		"  - {from: doc2, to: 192.0.2.7, rtt: {max: 2s}}",
	)
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := []Expectation{
		{Line: 31, From: "doc1", To: "doc2", Dst: netip.MustParseAddr("10.0.1.20"), Kind: ExpectReach, Reach: true},
		{Line: 32, From: "doc2", To: "doc1", Dst: netip.MustParseAddr("10.0.1.10"), Kind: ExpectReach, Message: "isolated"},
		{Line: 33, From: "doc1", To: "doc2.net2", Dst: netip.MustParseAddr("10.0.2.20"), Kind: ExpectMTU, MTU: 1500},
		{Line: 34, From: "doc1", To: "wan", Dst: netip.MustParseAddr("198.51.100.1"), WAN: true, Kind: ExpectReach, Reach: true},
		{Line: 35, From: "doc1", To: "10.0.1.1", Dst: netip.MustParseAddr("10.0.1.1"), Kind: ExpectRTT, RTTMin: time.Millisecond, RTTMax: 400 * time.Millisecond},
		{Line: 36, From: "doc2", To: "192.0.2.7", Dst: netip.MustParseAddr("192.0.2.7"), Kind: ExpectRTT, RTTMax: 2 * time.Second},
	}
	if len(top.Expect) != len(want) {
		t.Fatalf("%d expectations, want %d: %+v", len(top.Expect), len(want), top.Expect)
	}
	for i, w := range want {
		if top.Expect[i] != w {
			t.Errorf("expect[%d] = %+v\nwant        %+v", i, top.Expect[i], w)
		}
	}
	wants := []string{"reach: true", "reach: false", "mtu: 1500", "reach: true", "rtt: 1ms..400ms", "rtt: 0s..2s"}
	for i, w := range wants {
		if got := top.Expect[i].Want(); got != w {
			t.Errorf("expect[%d].Want() = %q, want %q", i, got, w)
		}
	}
}

// TestExpectSharedNetwork: a container's address is the one on the first
// network the sender shares with it, else its first address.
func TestExpectSharedNetwork(t *testing.T) {
	src := strings.Replace(base, "  doc1: {host: host1, image: busybox, network: net1, address: 10.0.1.10}",
		"  doc1: {host: host1, image: busybox, network: net2, address: 10.0.2.10}\n  doc3: {host: host1, image: busybox, network: net1, address: 10.0.1.30}", 1)
	src += "expect:\n  - {from: doc1, to: doc2, reach: true}\n  - {from: doc3, to: doc2, reach: true}\n  - {from: doc2, to: doc1, reach: true}\n"
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"10.0.2.20", "10.0.1.20", "10.0.2.10"} {
		if got := top.Expect[i].Dst.String(); got != want {
			t.Errorf("expect[%d] %s -> %s: Dst %s, want %s", i, top.Expect[i].From, top.Expect[i].To, got, want)
		}
	}
}

func TestExpectRules(t *testing.T) {
	one := func(entry string) string { return withExpect("  - " + entry) }
	runErrCases(t, []errCase{
		{name: "not a list", yaml: base + "expect: {from: doc1}\n", line: 30, col: 9, field: "expect", msg: "expected a list of {from, to, reach|mtu|rtt, message}"},
		{name: "entry not a mapping", yaml: one("doc1"), line: 31, col: 5, field: "expect[0]", msg: "expected a mapping"},
		{name: "unknown key", yaml: one("{from: doc1, to: doc2, reach: true, mesage: x}"), line: 31, col: 41, field: "expect[0].mesage", msg: `did you mean "message"?`},
		{name: "missing from", yaml: one("{to: doc2, reach: true}"), line: 31, col: 5, field: "expect[0].from", msg: `missing required field "from"`},
		{name: "missing to", yaml: one("{from: doc1, reach: true}"), line: 31, field: "expect[0].to", msg: `missing required field "to"`},
		{name: "nothing to hold", yaml: one("{from: doc1, to: doc2}"), line: 31, col: 5, field: "expect[0]", msg: "one of reach (true or false), mtu"},
		{name: "reach and mtu", yaml: one("{from: doc1, to: doc2, reach: true, mtu: 1500}"), line: 31, col: 41, field: "expect[0].mtu", msg: "give one of reach, mtu, rtt per entry, found reach and mtu"},
		{name: "reach not a boolean", yaml: one("{from: doc1, to: doc2, reach: yes}"), line: 31, field: "expect[0].reach", msg: "expected true or false"},
		{name: "reach null", yaml: one("{from: doc1, to: doc2, reach: }"), line: 31, field: "expect[0].reach", msg: "has no value"},
		{name: "mtu too small", yaml: one("{from: doc1, to: doc2, mtu: 100}"), line: 31, col: 33, field: "expect[0].mtu", msg: "out of range 576..9000"},
		{name: "mtu too large", yaml: one("{from: doc1, to: doc2, mtu: 9001}"), line: 31, field: "expect[0].mtu", msg: "out of range 576..9000"},
		{name: "rtt without max", yaml: one("{from: doc1, to: doc2, rtt: {min: 1ms}}"), line: 31, field: "expect[0].rtt.max", msg: "missing required field"},
		{name: "rtt min above max", yaml: one("{from: doc1, to: doc2, rtt: {min: 400ms, max: 100ms}}"), line: 31, col: 39, field: "expect[0].rtt.min", msg: "min 400ms is above max 100ms"},
		{name: "rtt without unit", yaml: one("{from: doc1, to: doc2, rtt: {max: 100}}"), line: 31, field: "expect[0].rtt.max", msg: "expected a duration with its unit"},
		{name: "rtt garbage", yaml: one("{from: doc1, to: doc2, rtt: {max: soon}}"), line: 31, field: "expect[0].rtt.max", msg: `"soon" is not a duration`},
		{name: "rtt negative", yaml: one("{from: doc1, to: doc2, rtt: {min: -1ms, max: 1s}}"), line: 31, field: "expect[0].rtt.min", msg: "negative"},
		{name: "rtt zero max", yaml: one("{from: doc1, to: doc2, rtt: {max: 0s}}"), line: 31, field: "expect[0].rtt.max", msg: "max is 0"},
		{name: "rtt too long", yaml: one("{from: doc1, to: doc2, rtt: {max: 1m}}"), line: 31, field: "expect[0].rtt.max", msg: "1m0s is over 10s"},
		{name: "rtt unknown key", yaml: one("{from: doc1, to: doc2, rtt: {avg: 1ms, max: 1s}}"), line: 31, field: "expect[0].rtt.avg", msg: "unknown field"},
		{name: "empty message", yaml: one("{from: doc1, to: doc2, reach: true, message: ' '}"), line: 31, field: "expect[0].message", msg: "message is empty"},
		{name: "unknown from", yaml: one("{from: doc9, to: doc2, reach: true}"), line: 31, col: 12, field: "expect[0].from", msg: `unknown container "doc9"; from takes a container: doc1, doc2`},
		{name: "from a host", yaml: one("{from: host1, to: doc2, reach: true}"), line: 31, field: "expect[0].from", msg: "host1 is a host"},
		{name: "from wan", yaml: one("{from: wan, to: doc2, reach: true}"), line: 31, field: "expect[0].from", msg: "the emulated wan sends no probes"},
		{name: "unknown to", yaml: one("{from: doc1, to: doc9, reach: true}"), line: 31, col: 22, field: "expect[0].to", msg: `unknown node "doc9"; to takes a container, CONTAINER.NETWORK, an IPv4 address or wan`},
		{name: "to a host", yaml: one("{from: doc1, to: host2, reach: true}"), line: 31, field: "expect[0].to", msg: "host2 is a host"},
		{name: "to itself", yaml: one("{from: doc1, to: doc1, reach: true}"), line: 31, field: "expect[0].to", msg: "from and to are both doc1"},
		{name: "to its own address", yaml: one("{from: doc1, to: 10.0.1.10, reach: true}"), line: 31, field: "expect[0].to", msg: "10.0.1.10 is an address of doc1 itself"},
		{name: "to unknown network", yaml: one("{from: doc1, to: doc2.net9, reach: true}"), line: 31, field: "expect[0].to", msg: `unknown network "net9"; networks are: net1, net2`},
		{name: "to a network the node is not on", yaml: one("{from: doc2, to: doc1.net2, reach: true}"), line: 31, field: "expect[0].to", msg: "doc1 has no interface on net2; it is on net1"},
		{name: "to a bad address", yaml: one("{from: doc1, to: 10.0.1.300, reach: true}"), line: 31, field: "expect[0].to", msg: `"10.0.1.300" is not an IPv4 address`},
		{name: "to IPv6", yaml: one("{from: doc1, to: 'fd00::1', reach: true}"), line: 31, field: "expect[0].to", msg: "IPv4 only"},
		{name: "to multicast", yaml: one("{from: doc1, to: 224.0.0.1, reach: true}"), line: 31, field: "expect[0].to", msg: "multicast"},
		{name: "to a prefix", yaml: one("{from: doc1, to: 10.0.1.0/24, reach: true}"), line: 31, field: "expect[0].to", msg: "has a prefix length"},
		{name: "two bad entries", yaml: withExpect("  - {from: doc9, to: doc2, reach: true}", "  - {from: doc1, to: doc2, mtu: 1}"), line: 32, field: "expect[1].mtu", msg: "out of range", count: 2},
	})
}
