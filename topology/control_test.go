package topology

import (
	"net/netip"
	"strings"
	"testing"
)

// TestReachFalseNeedsAControl: a reach: false whose sender has nothing it
// must reach cannot be graded, and validate says so at its line; one with
// a neighbour in its VLAN can.
func TestReachFalseNeedsAControl(t *testing.T) {
	src := withExpect(
		"  - {from: doc2, to: doc1, reach: false}",
	) // doc2 has net1 neighbours (doc1 is the target, but the gateway answers)
	src = strings.Replace(src, "  net2:\n    subnet: 10.0.2.0/24\n    vni: 6000\n", "  net2:\n    subnet: 10.0.2.0/24\n    vni: 6000\n  net3:\n    subnet: 10.0.3.0/24\n    vni: 7000\n", 1)
	src += "  - {from: lone, to: doc1, reach: false}\n"
	src = strings.Replace(src, "containers:\n", "containers:\n  lone: {host: host2, image: busybox, network: net3, address: 10.0.3.5}\n", 1)
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	w := top.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "lab.yaml:36: expect lone -> doc1 reach: false cannot be graded: nothing on lone's networks must answer it") {
		t.Errorf("warnings %q, want one for lone's entry", w)
	}
}

// TestControlAddr: silence is graded against an address the sender must
// reach: its gateway, else a station of its own segment (a container in
// its VLAN, or a host port), never the silent target itself.
func TestControlAddr(t *testing.T) {
	src := `name: ex
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, gateway: {host: host1, nat: true}}
  net2: {subnet: 10.0.2.0/24, vni: 6000}
  net3: {subnet: 10.0.3.0/24, vni: 7000, host_ports: {host2: 10.0.3.2}}
containers:
  ca: {host: host1, image: x, network: net1, address: 10.0.1.10}
  cb: {host: host2, image: x, network: net1, address: 10.0.1.20}
  cc: {host: host2, image: x, network: net2, address: 10.0.2.30}
  cd: {host: host1, image: x, network: net2, address: 10.0.2.40, vlan: 10}
  ce: {host: host1, image: x, network: net3, address: 10.0.3.50}
`
	top, err := Parse("ex.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, dst, want string }{
		{"ca", "10.0.2.30", "10.0.1.1"},     // the gateway of net1
		{"ca", "10.0.1.1", "10.0.1.20"},     // not the target: cb on net1
		{"cc", "10.0.1.10", "invalid IP"},   // net2 has no gateway, and cd is in VLAN 10
		{"ce", "10.0.1.10", "10.0.3.2"},     // host2's host port on net3
		{"host2", "10.0.1.10", "10.0.3.50"}, // a host sends through its host port: ce answers
	} {
		if got := top.ControlAddr(tc.from, netip.MustParseAddr(tc.dst)).String(); got != tc.want {
			t.Errorf("ControlAddr(%s, not %s) = %s, want %s", tc.from, tc.dst, got, tc.want)
		}
	}
}
