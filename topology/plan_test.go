package topology

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

func loadRef(t *testing.T) *Topology {
	t.Helper()
	top, err := Load(filepath.Join("testdata", "l3-vxlan.yaml"))
	if err != nil {
		t.Fatalf("reference lab: %v", err)
	}
	return top
}

func mustPlan(t *testing.T, top *Topology, host string) *HostPlan {
	t.Helper()
	p, err := top.Plan(host)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGoldenPlans(t *testing.T) {
	top := loadRef(t)
	for _, host := range []string{"host1", "host2"} {
		t.Run(host, func(t *testing.T) {
			got, err := json.MarshalIndent(mustPlan(t, top, host), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", "l3-vxlan-"+host+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from %s (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

// TestReferencePlan states the reference lab's plan as docs/topology.md describes it.
func TestReferencePlan(t *testing.T) {
	top := loadRef(t)
	h1, h2 := mustPlan(t, top, "host1"), mustPlan(t, top, "host2")

	for _, p := range []*HostPlan{h1, h2} {
		if names := bridgeNames(p); !slices.Equal(names, []string{"br1", "br2"}) {
			t.Errorf("%s bridges = %v, want [br1 br2]", p.Host, names)
		}
		if p.MTU != 1554 || p.Datapath != DatapathSystem {
			t.Errorf("%s MTU %d datapath %s, want 1554 system", p.Host, p.MTU, p.Datapath)
		}
	}
	wantGW := map[string]string{"br1": "10.0.1.1/24", "br2": "10.0.2.1/24"}
	for _, b := range h1.Bridges {
		if b.Gateway == nil || b.Gateway.Address.String() != wantGW[b.Name] || b.Gateway.Port != b.Network || b.Gateway.MTU != 1500 {
			t.Errorf("host1 %s gateway = %+v, want %s on port %s", b.Name, b.Gateway, wantGW[b.Name], b.Network)
		}
	}
	for _, b := range h2.Bridges {
		if b.Gateway != nil {
			t.Errorf("host2 %s has a gateway port %+v; gateways are on host1 only", b.Name, b.Gateway)
		}
	}
	checkTunnels := func(p *HostPlan, peer, ip string) {
		t.Helper()
		keys := map[string]uint32{"br1": 5000, "br2": 6000}
		for _, b := range p.Bridges {
			if len(b.Tunnels) != 1 {
				t.Fatalf("%s %s tunnels = %+v, want one", p.Host, b.Name, b.Tunnels)
			}
			tp := b.Tunnels[0]
			if tp.Key != keys[b.Name] || tp.RemoteIP.String() != ip || tp.RemoteHost != peer {
				t.Errorf("%s %s tunnel = %+v, want key %d to %s %s", p.Host, b.Name, tp, keys[b.Name], peer, ip)
			}
		}
	}
	checkTunnels(h1, "host2", "172.16.20.100")
	checkTunnels(h2, "host1", "172.16.10.100")

	if names := containerNames(h1); !slices.Equal(names, []string{"doc1", "doc2"}) {
		t.Errorf("host1 containers = %v", names)
	}
	if names := containerNames(h2); !slices.Equal(names, []string{"doc3", "doc4"}) {
		t.Errorf("host2 containers = %v", names)
	}
	doc3 := h2.Containers[0].Interfaces[0]
	if doc3.Name != "eth0" || doc3.Bridge != "br1" || doc3.HostVeth != "vdoc3" || doc3.Address.String() != "10.0.1.20/24" ||
		doc3.MAC.String() != "02:42:0a:00:01:14" || doc3.MTU != 1500 || doc3.DefaultRoute.String() != "10.0.1.1" {
		t.Errorf("doc3 eth0 = %+v", doc3)
	}

	if !h1.IPForward || h2.IPForward {
		t.Errorf("ip_forward host1=%v host2=%v, want true false", h1.IPForward, h2.IPForward)
	}
	if len(h1.NAT) != 2 || h1.NAT[0].Subnet.String() != "10.0.1.0/24" || h1.NAT[1].Subnet.String() != "10.0.2.0/24" {
		t.Fatalf("host1 NAT = %+v, want 10.0.1.0/24 and 10.0.2.0/24", h1.NAT)
	}
	for _, n := range h1.NAT {
		if n.GatewayPort != n.Network || len(n.Exclude) != 2 {
			t.Errorf("NAT %+v: want gateway port %s and both subnets excluded", n, n.Network)
		}
	}
	if len(h2.NAT) != 0 {
		t.Errorf("host2 NAT = %+v, want none", h2.NAT)
	}
}

func bridgeNames(p *HostPlan) []string {
	var out []string
	for _, b := range p.Bridges {
		out = append(out, b.Name)
	}
	return out
}

func containerNames(p *HostPlan) []string {
	var out []string
	for _, c := range p.Containers {
		out = append(out, c.Name)
	}
	return out
}

const threeHosts = `name: mesh
hosts:
  a: {underlay: 172.16.1.10/24, gateway: 172.16.1.1}
  b: {underlay: 172.16.2.10/24, gateway: 172.16.2.1}
  c: {underlay: 172.16.3.10/24, gateway: 172.16.3.1}
networks:
  red: {subnet: 10.1.0.0/24, vni: 100, gateway: {host: a}}
  blue: {subnet: 10.2.0.0/24, vni: 200}
  lone: {subnet: 10.3.0.0/24, vni: 300}
containers:
  a1: {host: a, image: busybox, interfaces: [{network: red, address: 10.1.0.11}, {network: blue, address: 10.2.0.11}]}
  b1: {host: b, image: busybox, interfaces: [{network: blue, address: 10.2.0.12}, {network: red, address: 10.1.0.12}]}
  c1: {host: c, image: busybox, interfaces: [{network: red, address: 10.1.0.13}, {network: blue, address: 10.2.0.13}]}
`

func TestFullMesh(t *testing.T) {
	top, err := Parse("mesh.yaml", []byte(threeHosts))
	if err != nil {
		t.Fatal(err)
	}
	underlay := map[string]string{"a": "172.16.1.10", "b": "172.16.2.10", "c": "172.16.3.10"}
	for _, p := range top.Plans() {
		if names := bridgeNames(p); !slices.Equal(names, []string{"br-blue", "br-red"}) {
			t.Errorf("%s bridges = %v, want br-blue br-red (lone is carried by nobody)", p.Host, names)
		}
		for _, b := range p.Bridges {
			if len(b.Tunnels) != 2 {
				t.Errorf("%s %s: %d tunnels, want 2", p.Host, b.Name, len(b.Tunnels))
			}
			for _, tp := range b.Tunnels {
				if tp.RemoteHost == p.Host || tp.RemoteIP.String() != underlay[tp.RemoteHost] || tp.Key != b.VNI {
					t.Errorf("%s %s: bad tunnel %+v", p.Host, b.Name, tp)
				}
			}
		}
	}
	// The default route follows the first interface whose network has a gateway.
	b, _ := top.Plan("b")
	ifs := b.Containers[0].Interfaces
	if ifs[0].DefaultRoute.IsValid() || ifs[1].DefaultRoute != netip.MustParseAddr("10.1.0.1") {
		t.Errorf("b1 routes: eth0 %v eth1 %v, want none and 10.1.0.1", ifs[0].DefaultRoute, ifs[1].DefaultRoute)
	}
	if ifs[1].Name != "eth1" || ifs[1].HostVeth != "vb1.1" {
		t.Errorf("b1 second interface = %s on %s, want eth1 on vb1.1", ifs[1].Name, ifs[1].HostVeth)
	}
	if got := top.Carriers("red"); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Carriers(red) = %v", got)
	}
}

func TestLongNamesAreHashed(t *testing.T) {
	long := "a-rather-long-container-name"
	src := strings.NewReplacer("  a:", "  host-number-one:", "host: a", "host: host-number-one", "a1:", long+":").Replace(threeHosts)
	top, err := Parse("mesh.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := top.Plan("b")
	seen := map[string]bool{}
	for _, b := range p.Bridges {
		for _, tp := range b.Tunnels {
			if len(tp.Port) > MaxIfname || seen[tp.Port] {
				t.Errorf("tunnel port %q: too long or repeated", tp.Port)
			}
			seen[tp.Port] = true
			hashed := strings.HasPrefix(tp.Port, "vx") && len(tp.Port) == len("vx")+8
			if tp.RemoteHost == "host-number-one" && !hashed {
				t.Errorf("tunnel to host-number-one named %q, want vx and 8 hex digits", tp.Port)
			}
		}
	}
	p, _ = top.Plan("host-number-one")
	for _, it := range p.Containers[0].Interfaces {
		if len(it.HostVeth) > MaxIfname || !strings.HasPrefix(it.HostVeth, "va-rat-") {
			t.Errorf("veth %q: want <= 15 bytes starting va-rat-", it.HostVeth)
		}
	}
	if a, b := HostVethName(long, 0), HostVethName(long, 1); a == b {
		t.Errorf("eth0 and eth1 share veth name %q", a)
	}
	if got := TunnelPortName("net1", 5000, "host2"); got != "vx5000-host2" {
		t.Errorf("TunnelPortName = %q", got)
	}
}

func TestDefaults(t *testing.T) {
	src := `name: d
hosts:
  h: {underlay: 192.168.0.2/24, gateway: 192.168.0.1}
networks:
  n: {subnet: 10.9.0.0/24, vni: 9, gateway: {host: h}}
containers:
  c1: {host: h, image: busybox, network: n, address: 10.9.0.10}
`
	top, err := Parse("builtin:d", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	n := top.Networks[0]
	switch {
	case top.Underlay.MTU != 1554:
		t.Errorf("MTU %d", top.Underlay.MTU)
	case top.Emulation.WAN != DefaultWAN:
		t.Errorf("WAN %v", top.Emulation.WAN)
	case top.Hosts[0].Datapath != DatapathSystem:
		t.Errorf("datapath %q", top.Hosts[0].Datapath)
	case n.Bridge != "br-n":
		t.Errorf("bridge %q", n.Bridge)
	case n.Gateway.Address.String() != "10.9.0.1" || n.Gateway.NAT:
		t.Errorf("gateway %+v", n.Gateway)
	case top.Containers[0].Interfaces[0].MAC.String() != "02:42:0a:09:00:0a":
		t.Errorf("MAC %s", top.Containers[0].Interfaces[0].MAC)
	case top.Containers[0].Command != nil:
		t.Errorf("command %q", top.Containers[0].Command)
	case top.Dir != "" || top.Source != "builtin:d":
		t.Errorf("builtin lab: Dir %q Source %q", top.Dir, top.Source)
	}
	p, _ := top.Plan("h")
	if p.Interface != "" || len(p.NAT) != 0 || !p.IPForward {
		t.Errorf("plan: interface %q NAT %v forward %v", p.Interface, p.NAT, p.IPForward)
	}

	top.ForEmulation(false)
	h := top.Hosts[0]
	if h.Datapath != DatapathNetdev || h.Interface != "eth0" {
		t.Errorf("after ForEmulation(no module): %+v", h)
	}
	top.ForEmulation(true)
	if h := top.Hosts[0]; h.Datapath != DatapathSystem {
		t.Errorf("after ForEmulation(module): datapath %s, want system", h.Datapath)
	}
}

// TestForEmulationKeepsFileDatapath: a datapath the file names is kept,
// whatever the machine could run; only hosts without one get the choice.
func TestForEmulationKeepsFileDatapath(t *testing.T) {
	src := `name: d
hosts:
  a: {underlay: 192.168.0.2/24, gateway: 192.168.0.1, datapath: netdev}
  b: {underlay: 192.168.0.3/24, gateway: 192.168.0.1, datapath: system}
  c: {underlay: 192.168.0.4/24, gateway: 192.168.0.1}
networks:
  n: {subnet: 10.9.0.0/24, vni: 1}
`
	for _, kernel := range []bool{false, true} {
		top, err := Parse("builtin:d", []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		top.ForEmulation(kernel)
		want := map[string]string{"a": DatapathNetdev, "b": DatapathSystem, "c": DatapathNetdev}
		if kernel {
			want["c"] = DatapathSystem
		}
		for _, h := range top.Hosts {
			if h.Datapath != want[h.Name] {
				t.Errorf("kernel datapath available=%v: host %s datapath %s, want %s", kernel, h.Name, h.Datapath, want[h.Name])
			}
		}
	}
}

func TestSortedByName(t *testing.T) {
	src := `name: s
hosts:
  zed: {underlay: 192.168.0.3/24, gateway: 192.168.0.1}
  amy: {underlay: 192.168.0.2/24, gateway: 192.168.0.1}
networks:
  zz: {subnet: 10.2.0.0/24, vni: 2}
  aa: {subnet: 10.1.0.0/24, vni: 1}
containers:
  zc: {host: zed, image: busybox, network: zz, address: 10.2.0.2}
  ac: {host: amy, image: busybox, network: aa, address: 10.1.0.2}
`
	top, err := Parse("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if top.Hosts[0].Name != "amy" || top.Networks[0].Name != "aa" || top.Containers[0].Name != "ac" {
		t.Errorf("not sorted: %v", top)
	}
	if got := top.HostNames(); !slices.Equal(got, []string{"amy", "zed"}) {
		t.Errorf("HostNames = %v", got)
	}
}

func TestAliases(t *testing.T) {
	src := edit(t, "image: busybox,", "image: &img ghcr.io/acme/tools:1.2,", "    image: busybox", "    image: *img")
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := top.ContainerByName("doc2")
	if c.Image != "ghcr.io/acme/tools:1.2" {
		t.Errorf("image through alias = %q", c.Image)
	}
}

func TestPlanUnknownHost(t *testing.T) {
	_, err := loadRef(t).Plan("host9")
	if !errors.Is(err, ErrUnknownHost) || !strings.Contains(err.Error(), "host1, host2") {
		t.Errorf("Plan(host9) = %v", err)
	}
}

func TestBuildDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "img"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(build string) string {
		src := edit(t, "    image: busybox\n", "    image: busybox\n    build: "+build+"\n")
		path := filepath.Join(dir, "lab.yaml")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}

	top, err := Load(write("./img"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := top.ContainerByName("doc2")
	if c.Build != filepath.Join(dir, "img") || top.Dir != dir {
		t.Errorf("build %q dir %q, want %s under %s", c.Build, top.Dir, "img", dir)
	}
	if _, err := Load(write(filepath.Join(dir, "img"))); err != nil {
		t.Errorf("absolute build path: %v", err)
	}
	if _, err := Load(write("file")); err == nil || !strings.Contains(err.Error(), "is not a directory") {
		t.Errorf("build of a file: %v", err)
	}
	data, _ := os.ReadFile(write("./img"))
	if _, err := Parse("builtin:lab", data); err == nil || !strings.Contains(err.Error(), "built-in lab cannot build") {
		t.Errorf("build in a built-in lab: %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !IsInvalid(err) || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nope.yaml: cannot read the topology file") {
		t.Errorf("Load(missing) = %v", err)
	}
}

func TestPlanJSONRoundTrip(t *testing.T) {
	p := mustPlan(t, loadRef(t), "host2")
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"mac":"02:42:0a:00:01:14"`)) {
		t.Errorf("MAC not written as text: %s", data)
	}
	var back HostPlan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(&back)
	if !bytes.Equal(data, again) {
		t.Errorf("round trip changed the plan:\n%s\n%s", data, again)
	}
}

// TestInterfacePlanJSONFields keeps the wire struct in step with InterfacePlan.
func TestInterfacePlanJSONFields(t *testing.T) {
	a, b := reflect.TypeOf(InterfacePlan{}), reflect.TypeOf(interfacePlanJSON{})
	if a.NumField() != b.NumField() {
		t.Fatalf("InterfacePlan has %d fields, its JSON form %d", a.NumField(), b.NumField())
	}
	for i := range a.NumField() {
		fa, fb := a.Field(i), b.Field(i)
		if fa.Name != fb.Name || fa.Tag.Get("json") != fb.Tag.Get("json") {
			t.Errorf("field %d: %s %q vs %s %q", i, fa.Name, fa.Tag.Get("json"), fb.Name, fb.Tag.Get("json"))
		}
	}
}

func TestText(t *testing.T) {
	text := mustPlan(t, loadRef(t), "host1").Text()
	for _, want := range []string{
		"lab l3-vxlan, host host1",
		"underlay 172.16.10.100/24 via 172.16.10.1",
		"on the NIC holding the address (MTU 1554), datapath system",
		"bridge br1",
		"vx5000-host2  -> host2 172.16.20.100, key 5000",
		"10.0.1.1/24",
		"vdoc1         -> doc1 eth0",
		"container doc1, image ovslab/busybox, command sleep infinity",
		"02:42:0a:00:01:0a",
		"default via 10.0.1.1",
		"NAT",
		"net1  10.0.1.0/24  MASQUERADE out of the lab (not to 10.0.1.0/24, 10.0.2.0/24); FORWARD accepts what enters by port net1, and its replies",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}
