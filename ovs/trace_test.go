package ovs

import (
	"net/netip"
	"reflect"
	"testing"
)

// Real output of OVS 3.1 on an emulated l3-vxlan host (netdev datapath).
const dpifShow = `netdev@ovs-netdev: hit:87 missed:54
  br-phy:
    br-phy 65534/9: (tap)
    eth0 1/8: (system)
  br1:
    br1 65534/6: (tap)
    net1 1/5: (tap)
    vdoc1 3/7: (system)
    vx5000-host2 2/2: (vxlan: key=5000, remote_ip=172.16.20.100)
  br2:
    br2 65534/3: (tap)
    net2 1/1: (tap)
    vdoc2 3/4: (system)
    vx6000-host2 2/2: (vxlan: key=6000, remote_ip=172.16.20.100)
`

const traceFlood = `Flow: icmp,in_port=3,vlan_tci=0x0000,dl_src=02:42:0a:00:01:0a,dl_dst=02:42:0a:00:01:99,nw_src=10.0.1.10,nw_dst=10.0.1.20,nw_tos=0,nw_ecn=0,nw_ttl=0,nw_frag=no,icmp_type=0,icmp_code=0

bridge("br1")
-------------
 0. priority 0
    NORMAL
     -> no learned MAC for destination, flooding
     -> output to native tunnel
     -> tunneling to 172.16.10.1 via br-phy
     -> tunneling from 86:b5:dc:bc:46:49 172.16.10.100 to 62:8a:91:3b:7b:73 172.16.10.1

bridge("br-phy")
----------------
 0. priority 0
    NORMAL
     -> forwarding to learned port

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=3,dl_src=02:42:0a:00:01:0a,dl_dst=02:42:0a:00:01:99,nw_ecn=0,nw_frag=no
Datapath actions: 6,5,tnl_push(tnl_port(2),header(size=50,type=4,eth(dst=62:8a:91:3b:7b:73,src=86:b5:dc:bc:46:49,dl_type=0x0800),ipv4(src=172.16.10.100,dst=172.16.20.100,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x1388)),out_port(9)),8
`

func TestParseTrace(t *testing.T) {
	ports := dpPorts(dpifShow, "br1")
	if ports[7] != "vdoc1" || ports[5] != "net1" || ports[8] != "eth0" {
		t.Fatalf("dp ports %v", ports)
	}
	tr := parseTrace(traceFlood, ports)
	want := []TraceOutput{
		{Port: "br1"}, {Port: "net1"},
		{Tunnel: true, Key: 5000, Remote: netip.MustParseAddr("172.16.20.100")},
		{Port: "eth0"},
	}
	if !reflect.DeepEqual(tr.Outputs, want) {
		t.Errorf("outputs %+v\nwant    %+v", tr.Outputs, want)
	}
	if len(tr.Notes) != 4 || tr.Notes[0] != "no learned MAC for destination, flooding" {
		t.Errorf("notes %q", tr.Notes)
	}
}

func TestParseActions(t *testing.T) {
	ports := map[int]string{3: "vdoc3", 4: "vdoc4"}
	for _, tc := range []struct {
		actions string
		want    []TraceOutput
	}{
		{"drop", nil},
		{"3", []TraceOutput{{Port: "vdoc3"}}},
		{"push_vlan(vid=10,pcp=0),3,pop_vlan,4", []TraceOutput{{Port: "vdoc3", VLAN: 10}, {Port: "vdoc4"}}},
		// the kernel datapath: the tunnel is set, then output to vxlan_sys
		{"set(tunnel(tun_id=0x1770,dst=172.16.20.100,ttl=64,tp_dst=4789,flags(df|key))),2",
			[]TraceOutput{{Tunnel: true, Key: 6000, Remote: netip.MustParseAddr("172.16.20.100")}}},
		{"clone(push_vlan(vid=20,pcp=0),tnl_push(tnl_port(2),header(size=50,type=4,eth(dst=aa:bb:cc:dd:ee:ff,src=aa:bb:cc:dd:ee:00,dl_type=0x0800),ipv4(src=172.16.10.100,dst=172.16.30.100,proto=17,tos=0,ttl=64,frag=0x4000),udp(src=0,dst=4789,csum=0x0),vxlan(flags=0x8000000,vni=0x1388)),out_port(9))),4",
			[]TraceOutput{{Tunnel: true, Key: 5000, Remote: netip.MustParseAddr("172.16.30.100"), VLAN: 20}, {Port: "vdoc4"}}},
	} {
		var p actionParser
		p.ports = ports
		p.walk(tc.actions)
		if !reflect.DeepEqual(p.out, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.actions, p.out, tc.want)
		}
	}
}
