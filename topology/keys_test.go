package topology

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// withHostPort adds host_ports to net1 (line 17) with the given mapping.
func withHostPort(m string) []string {
	return []string{"nat: true}\n", "nat: true}\n    host_ports: " + m + "\n"}
}

func TestNewerKeyRules(t *testing.T) {
	iface := func(extra string) []string {
		return []string{"{network: net1, address: 10.0.1.20}", "{network: net1, address: 10.0.1.20, " + extra + "}"}
	}
	runErrCases(t, []errCase{
		{name: "names not a boolean", edit: []string{"name: lab\n", "name: lab\nnames: yes please\n"}, line: 2, field: "names", msg: "expected true or false"},
		{name: "host port unknown host", edit: withHostPort("{host9: 10.0.1.2}"), line: 17, field: "networks.net1.host_ports.host9", msg: `unknown host "host9"`},
		{name: "host port outside subnet", edit: withHostPort("{host2: 10.0.2.2}"), line: 17, col: 25, field: "networks.net1.host_ports.host2", msg: "outside the subnet 10.0.1.0/24"},
		{name: "host port is the gateway", edit: withHostPort("{host2: 10.0.1.1}"), line: 17, field: "networks.net1.host_ports.host2", msg: "is the gateway of networks.net1 (line 16)"},
		{name: "host port is a container", edit: withHostPort("{host2: 10.0.1.20}"), line: 17, field: "networks.net1.host_ports.host2", msg: "10.0.1.20 is already used by containers.doc2.interfaces[0] (line 29)"},
		{name: "host port on the gateway host", edit: withHostPort("{host1: 10.0.1.2}"), line: 17, field: "networks.net1.host_ports.host1", msg: "host1 holds the gateway 10.0.1.1 of networks.net1"},
		{name: "host port broadcast", edit: withHostPort("{host2: 10.0.1.255}"), line: 17, field: "networks.net1.host_ports.host2", msg: "network or broadcast"},
		{name: "host ports share an address", edit: []string{"    vni: 6000\n", "    vni: 6000\n    host_ports: {host1: 10.0.2.5, host2: 10.0.2.5}\n"}, line: 20, field: "networks.net2.host_ports.host2", msg: "10.0.2.5 is already the host port of networks.net2.host_ports.host1"},
		{name: "host ports a list", edit: withHostPort("[host2]"), line: 17, field: "networks.net1.host_ports", msg: "expected a mapping of host names to addresses"},
		{name: "vlan zero", edit: iface("vlan: 0"), line: 28, field: "containers.doc2.interfaces[0].vlan", msg: "out of range 1..4094"},
		{name: "vlan 4095", edit: iface("vlan: 4095"), line: 28, field: "containers.doc2.interfaces[0].vlan", msg: "out of range 1..4094"},
		{name: "vlan short form", edit: []string{"address: 10.0.1.10}", "address: 10.0.1.10, vlan: ten}"}, line: 23, field: "containers.doc1.vlan", msg: "expected an integer"},
		{name: "mtu too small", edit: iface("mtu: 500"), line: 28, field: "containers.doc2.interfaces[0].mtu", msg: "out of range 576..9000"},
		{name: "mtu above the underlay", edit: iface("mtu: 9000"), line: 28, col: 50, field: "containers.doc2.interfaces[0].mtu",
			msg: "mtu 9000 needs an underlay MTU of 9050 (VXLAN adds 50) but underlay.mtu is 1554; lower mtu to 1504 or raise underlay.mtu to 9050"},
		{name: "tagged mtu above the underlay", edit: iface("mtu: 1504, vlan: 5"), line: 28, field: "containers.doc2.interfaces[0].mtu", msg: "lower mtu to 1500 or raise underlay.mtu to 1558"},
		{name: "impair empty", edit: iface("impair: {}"), line: 28, field: "containers.doc2.interfaces[0].impair", msg: "impair is empty"},
		{name: "impair unknown key", edit: iface("impair: {latency: 5ms}"), line: 28, field: "containers.doc2.interfaces[0].impair.latency", msg: `unknown field "latency"`},
		{name: "delay garbage", edit: iface("impair: {delay: fast}"), line: 28, field: "containers.doc2.interfaces[0].impair.delay", msg: `delay "fast" is not a duration`},
		{name: "delay too long", edit: iface("impair: {delay: 1m}"), line: 28, field: "containers.doc2.interfaces[0].impair.delay", msg: "is over 10s"},
		{name: "jitter without delay", edit: iface("impair: {jitter: 5ms}"), line: 28, field: "containers.doc2.interfaces[0].impair.jitter", msg: "set delay too"},
		{name: "loss over 100", edit: iface("impair: {loss: 120%}"), line: 28, field: "containers.doc2.interfaces[0].impair.loss", msg: "out of range 0%..100%"},
		{name: "loss garbage", edit: iface("impair: {loss: some}"), line: 28, field: "containers.doc2.interfaces[0].impair.loss", msg: "not a percentage"},
		{name: "rate bytes", edit: iface("impair: {rate: 10mbps}"), line: 28, field: "containers.doc2.interfaces[0].impair.rate", msg: "bytes per second"},
		{name: "rate no unit", edit: iface("impair: {rate: 10}"), line: 28, field: "containers.doc2.interfaces[0].impair.rate", msg: "not a bit rate"},
		{name: "rate too low", edit: iface("impair: {rate: 1kbit}"), line: 28, field: "containers.doc2.interfaces[0].impair.rate", msg: "out of range 8kbit..10gbit"},
		{name: "all at once", edit: append(iface("vlan: 0, mtu: 1, impair: {rate: x}"), withHostPort("{host2: 10.9.9.9}")...), count: 4, line: 17, field: "networks.net1.host_ports.host2", msg: "outside the subnet"},
	})
}

func TestNewerKeysInThePlan(t *testing.T) {
	src := edit(t, append(withHostPort("{host2: 10.0.1.2}"),
		"{network: net1, address: 10.0.1.20}", "{network: net1, address: 10.0.1.20, vlan: 10, mtu: 1400, impair: {delay: 50ms, jitter: 5ms, loss: 1%, rate: 10mbit}}",
		"address: 10.0.1.10}", "address: 10.0.1.10, impair: {rate: 512kbit}}")...)
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p := mustPlan(t, top, "host2")
	var br1 *BridgePlan
	for i := range p.Bridges {
		if p.Bridges[i].Name == "br1" {
			br1 = &p.Bridges[i]
		}
	}
	if br1 == nil || br1.HostPort == nil || br1.HostPort.Port != "net1" || br1.HostPort.Address.String() != "10.0.1.2/24" || br1.Gateway != nil {
		t.Fatalf("host2 br1: %+v, want host port net1 10.0.1.2/24 and no gateway", br1)
	}
	it := p.Containers[0].Interfaces[0]
	want := Impair{Delay: 50 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 1, Rate: 10_000_000}
	if it.VLAN != 10 || it.MTU != 1400 || it.Impair == nil || *it.Impair != want || it.DefaultRoute.IsValid() {
		t.Errorf("doc2 eth0: vlan %d mtu %d impair %+v route %v; want 10, 1400, %+v and no route to the untagged gateway", it.VLAN, it.MTU, it.Impair, it.DefaultRoute, want)
	}
	if !it.Impair.NeedsNetem() || top.Containers[0].Interfaces[0].Impair.NeedsNetem() {
		t.Errorf("NeedsNetem wrong: delay needs netem, a rate alone does not")
	}
	// eth1 has no gateway on net2; the untagged, default-MTU interface.
	if e1 := p.Containers[0].Interfaces[1]; e1.MTU != ContainerMTU || e1.VLAN != 0 || e1.Impair != nil {
		t.Errorf("doc2 eth1: %+v, want the defaults", e1)
	}

	text := p.Text()
	for _, s := range []string{
		"net1          10.0.1.2/24, MTU 1500 (host port: this host on the network)",
		"-> doc2 eth0 (VLAN 10, access port)",
		"MTU 1400",
		"impaired: delay 50ms jitter 5ms loss 1% rate 10mbit (netem on both ends)",
		"names: /etc/hosts of each container here resolves 5 names",
		"doc2.net2  10.0.2.20",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("plan text lacks %q:\n%s", s, text)
		}
	}
	if h1 := mustPlan(t, top, "host1").Text(); !strings.Contains(h1, "rate 512kbit (tbf on both ends)") {
		t.Errorf("host1 plan text lacks the tbf of doc1:\n%s", h1)
	}

	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"host_port":{"port":"net1","address":"10.0.1.2/24"`, `"vlan":10`, `"impair":{"delay":"50ms","jitter":"5ms","loss":"1%","rate":"10mbit"}`, `{"name":"doc1.net1","address":"10.0.1.10"}`} {
		if !strings.Contains(string(data), s) {
			t.Errorf("plan JSON lacks %s:\n%s", s, data)
		}
	}
	var back HostPlan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if got := back.Containers[0].Interfaces[0].Impair; got == nil || *got != want {
		t.Errorf("impair after a JSON round trip: %+v, want %+v", got, want)
	}
}

func TestNamesOffAndWarnings(t *testing.T) {
	top, err := Parse("lab.yaml", []byte(edit(t, "name: lab\n", "name: lab\nnames: false\n")))
	if err != nil {
		t.Fatal(err)
	}
	if p := mustPlan(t, top, "host1"); p.Names != nil {
		t.Errorf("names: false still plans %v", p.Names)
	}
	// Every interface fits a 1500 underlay once its MTU is 1450: no
	// warning, except for the gateway, which stays at 1500.
	low := edit(t, "mtu: 1554", "mtu: 1500",
		"address: 10.0.1.10}", "address: 10.0.1.10, mtu: 1450}",
		"{network: net1, address: 10.0.1.20}", "{network: net1, address: 10.0.1.20, mtu: 1450}",
		"    gateway: {host: host1, address: 10.0.1.1, nat: true}\n", "")
	top, err = Parse("lab.yaml", []byte(low))
	if err != nil {
		t.Fatal(err)
	}
	if w := top.Warnings(); len(w) != 1 || !strings.Contains(w[0], "fits untagged 1450-byte frames") {
		t.Errorf("warnings %q, want only the note about an inner VLAN tag", w)
	}
}

func TestImpairValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10mbit", "10mbit"}, {"1.5mbit", "1500kbit"}, {"512kbit", "512kbit"}, {"1Gbit", "1gbit"}, {"8000bit", "8kbit"},
	} {
		r, err := parseRate(tc.in)
		if err != nil || FormatRate(r) != tc.want {
			t.Errorf("rate %q: %s, %v; want %s", tc.in, FormatRate(r), err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want float64
	}{{"1%", 1}, {"0.5%", 0.5}, {"2", 2}, {"100%", 100}} {
		if v, err := parseLoss(tc.in); err != nil || v != tc.want {
			t.Errorf("loss %q: %v, %v; want %v", tc.in, v, err, tc.want)
		}
	}
}

// TestExpectWithHostPorts: a host with a host port sends and receives
// expect: probes like a container, at its host port's address.
func TestExpectWithHostPorts(t *testing.T) {
	src := edit(t, withHostPort("{host2: 10.0.1.2}")...) +
		"expect:\n  - {from: host2, to: doc1, reach: true}\n  - {from: doc1, to: host2, reach: true}\n"
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if e := top.Expect[0]; !e.FromHost || e.Dst.String() != "10.0.1.10" {
		t.Errorf("from host2: FromHost %v, Dst %s; want a host sender probing 10.0.1.10", e.FromHost, e.Dst)
	}
	if e := top.Expect[1]; e.FromHost || e.Dst.String() != "10.0.1.2" {
		t.Errorf("to host2: FromHost %v, Dst %s; want host2's host port 10.0.1.2", e.FromHost, e.Dst)
	}
	// Without the host port, host2 is on no lab network.
	if _, err := Parse("lab.yaml", []byte(base+"expect:\n  - {from: host2, to: doc1, reach: true}\n")); err == nil || !strings.Contains(err.Error(), "no address on a lab network") {
		t.Errorf("host2 without a host port as a sender: %v", err)
	}
}
