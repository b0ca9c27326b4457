package labs

import (
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// A host's bridge wants each MAC on the port that leads to it; a port
// vswitchd has not opened, or one a fault re-tagged, gets no entry; what
// is there already is left, what is stale goes.
func TestFDBChanges(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	b := topology.BridgePlan{
		Name:    "br1",
		Gateway: &topology.GatewayPort{Port: "net1", Address: netip.MustParsePrefix("10.0.1.1/24")},
		Tunnels: []topology.TunnelPort{{Port: "vx5000-host2", RemoteHost: "host2"}, {Port: "vx5000-host3", RemoteHost: "host3"}},
		Neighbours: []topology.Neighbour{
			{MAC: topology.DefaultMAC(netip.MustParseAddr("10.0.1.1")), Host: "host1"},
			{MAC: mac("02:42:0a:00:01:0a"), Host: "host1"},
			{MAC: mac("02:42:0a:00:01:0b"), Host: "host1", VLAN: 10},
			{MAC: mac("02:42:0a:00:01:14"), Host: "host2"},
			{MAC: mac("02:42:0a:00:01:1e"), Host: "host3"},
		},
	}
	p := &topology.HostPlan{Host: "host1", Bridges: []topology.BridgePlan{b}, Containers: []topology.ContainerPlan{
		{Interfaces: []topology.InterfacePlan{{Bridge: "br1", HostVeth: "va", MAC: mac("02:42:0a:00:01:0a")}}},
		{Interfaces: []topology.InterfacePlan{{Bridge: "br1", HostVeth: "vb", VLAN: 10, MAC: mac("02:42:0a:00:01:0b")}}},
	}}
	ports := map[string]ovs.PortStatus{
		"net1":         {OFPort: 1},
		"va":           {OFPort: 2},
		"vb":           {OFPort: 3, Tag: 30}, // a vlan fault holds it
		"vx5000-host2": {OFPort: 4},
		"vx5000-host3": {OFPort: -1}, // could not be opened
	}
	want := bridgeMACs(p, &b, ports)
	if len(want) != 3 || want[fdbKey{0, "02:42:0a:00:01:0a"}] != "va" || want[fdbKey{0, "02:42:0a:00:01:14"}] != "vx5000-host2" || want[fdbKey{0, "02:42:0a:00:01:01"}] != "net1" {
		t.Fatalf("bridgeMACs = %v, want the gateway on net1, 0a on va, 14 on vx5000-host2 and nothing else", want)
	}
	have := staticMACs(` port  VLAN  MAC                Age
    2     0  02:42:0a:00:01:0a  static
    2     0  02:42:0a:00:01:14  static
    4     0  02:42:0a:00:01:63  static
    4     0  02:42:0a:00:01:1e    3
`)
	var got []string
	for _, c := range fdbChanges(&b, ports, want, have) {
		got = append(got, c.Command+" "+strings.Join(c.Args, " "))
	}
	slices.Sort(got)
	wantCalls := []string{
		"fdb/add br1 net1 0 02:42:0a:00:01:01",
		"fdb/add br1 vx5000-host2 0 02:42:0a:00:01:14", // on the wrong port
		"fdb/del br1 0 02:42:0a:00:01:63",
	}
	if !slices.Equal(got, wantCalls) {
		t.Errorf("fdbChanges = %q, want %q", got, wantCalls)
	}
	b.Neighbours = nil // neighbours: dynamic
	if m := bridgeMACs(p, &b, ports); len(m) != 0 {
		t.Errorf("with neighbours: dynamic bridgeMACs = %v, want none", m)
	}
}
