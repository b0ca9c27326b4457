package topology

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// base is a small valid lab; each case below breaks one rule in it. The
// line numbers in the cases refer to this text (after the case's edits).
const base = `name: lab
hosts:
  host1:
    underlay: 172.16.10.100/24
    gateway: 172.16.10.1
  host2:
    underlay: 172.16.20.100/24
    gateway: 172.16.20.1
underlay:
  mtu: 1554
networks:
  net1:
    subnet: 10.0.1.0/24
    vni: 5000
    bridge: br1
    gateway: {host: host1, address: 10.0.1.1, nat: true}
  net2:
    subnet: 10.0.2.0/24
    vni: 6000
emulation:
  wan: 198.51.100.0/24
containers:
  doc1: {host: host1, image: busybox, network: net1, address: 10.0.1.10}
  doc2:
    host: host2
    image: busybox
    interfaces:
      - {network: net1, address: 10.0.1.20}
      - {network: net2, address: 10.0.2.20, mac: "02:00:00:00:00:01"}
`

// edit applies old, new pairs to base; each old must occur exactly once.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := strings.Count(s, pairs[i]); n != 1 {
			t.Fatalf("edit %q occurs %d times in the lab, want 1", pairs[i], n)
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

func TestBaseIsValid(t *testing.T) {
	if _, err := Parse("lab.yaml", []byte(base)); err != nil {
		t.Fatalf("base lab: %v", err)
	}
}

type errCase struct {
	name  string
	edit  []string // old, new pairs applied to base
	yaml  string   // the whole file, instead of base and edit
	line  int
	col   int // checked when not 0
	field string
	msg   string // a substring of the message
	count int    // errors expected in all; 0 means 1
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := tc.yaml
			if src == "" {
				src = edit(t, tc.edit...)
			}
			top, err := Parse("lab.yaml", []byte(src))
			if err == nil {
				// What the machine, not the file, decides (build dirs).
				if err = top.CheckBuildDirs(); err != nil {
					top = nil
				}
			}
			if err == nil {
				t.Fatalf("no error; parsed %+v", top)
			}
			if top != nil {
				t.Errorf("Parse returned a topology with an error")
			}
			if !IsInvalid(err) {
				t.Errorf("IsInvalid(%v) = false", err)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, want ErrorList", err)
			}
			want := max(tc.count, 1)
			if len(list) != want {
				t.Errorf("got %d errors, want %d:\n%v", len(list), want, err)
			}
			for _, e := range list {
				if e.Field == tc.field && strings.Contains(e.Msg, tc.msg) {
					if e.Line != tc.line {
						t.Errorf("%s: line %d, want %d", e, e.Line, tc.line)
					}
					if tc.col != 0 && e.Column != tc.col {
						t.Errorf("%s: column %d, want %d", e, e.Column, tc.col)
					}
					if e.File != "lab.yaml" {
						t.Errorf("%s: file %q, want lab.yaml", e, e.File)
					}
					return
				}
			}
			t.Errorf("no error on field %q containing %q; got:\n%v", tc.field, tc.msg, err)
		})
	}
}

func TestSyntaxAndTypes(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "unknown top-level key", edit: []string{"emulation:", "colour: red\nemulation:"}, line: 20, col: 1, field: "colour", msg: `unknown field "colour"`},
		{name: "misspelt key suggests", edit: []string{"nat: true", "nta: true"}, line: 16, col: 47, field: "networks.net1.gateway.nta", msg: `did you mean "nat"?`},
		{name: "unknown key in host", edit: []string{"    gateway: 172.16.20.1\n", "    gateway: 172.16.20.1\n    vtep: x\n"}, line: 9, field: "hosts.host2.vtep", msg: "unknown field"},
		{name: "duplicate key", edit: []string{"    vni: 6000\n", "    vni: 6000\n    vni: 6001\n"}, line: 20, col: 5, field: "networks.net2.vni", msg: `duplicate key "vni"; first given at line 19`},
		{name: "duplicate host", edit: []string{"  host2:", "  host1:", "host: host2", "host: host1"}, line: 6, col: 3, field: "hosts.host1", msg: "duplicate host \"host1\"; first defined at line 3"},
		{name: "duplicate container", edit: []string{"  doc2:", "  doc1:"}, line: 24, field: "containers.doc1", msg: "duplicate container"},
		{name: "string where integer expected", edit: []string{"vni: 5000", `vni: "5000"`}, line: 14, col: 10, field: "networks.net1.vni", msg: `expected an integer, found the string "5000"`},
		{name: "float where integer expected", edit: []string{"mtu: 1554", "mtu: 1554.5"}, line: 10, field: "underlay.mtu", msg: "expected an integer"},
		{name: "list where mapping expected", edit: []string{"doc1: {host: host1, image: busybox, network: net1, address: 10.0.1.10}", "doc1: [host1]"}, line: 23, col: 9, field: "containers.doc1", msg: "expected a mapping"},
		{name: "mapping where string expected", edit: []string{"    image: busybox", "    image: {name: busybox}"}, line: 26, field: "containers.doc2.image", msg: "expected a string, found a mapping"},
		{name: "boolean where string expected", edit: []string{"    image: busybox", "    image: true"}, line: 26, field: "containers.doc2.image", msg: "expected a string"},
		{name: "yes is not a boolean", edit: []string{"nat: true", "nat: yes"}, line: 16, field: "networks.net1.gateway.nat", msg: "expected true or false"},
		{name: "section is a list", edit: []string{"underlay:\n  mtu: 1554\n", "underlay: [1554]\n\n"}, line: 9, field: "underlay", msg: "expected a mapping with mtu, found a list"},
		{name: "hosts is a list", yaml: "name: lab\nhosts: [host1]\n", line: 2, field: "hosts", msg: "expected a mapping of host names"},
		{name: "command is a string", edit: []string{"    image: busybox\n", "    image: busybox\n    command: sleep\n"}, line: 27, field: "containers.doc2.command", msg: "expected a list of strings"},
		{name: "command is empty", edit: []string{"    image: busybox\n", "    image: busybox\n    command: []\n"}, line: 27, field: "containers.doc2.command", msg: "command is empty"},
		{name: "command item is a list", edit: []string{"    image: busybox\n", "    image: busybox\n    command: [sleep, [1]]\n"}, line: 27, field: "containers.doc2.command[1]", msg: "expected a string"},
		{name: "interfaces is a mapping", edit: []string{"    interfaces:\n", "    interfaces: {}\n    oops:\n"}, line: 27, field: "containers.doc2.interfaces", msg: "expected a list", count: 2},
		{name: "interfaces is empty", edit: []string{"    interfaces:\n      - {network: net1, address: 10.0.1.20}\n      - {network: net2, address: 10.0.2.20, mac: \"02:00:00:00:00:01\"}\n", "    interfaces: []\n"}, line: 27, field: "containers.doc2.interfaces", msg: "interfaces is empty"},
		{name: "interface item is a string", edit: []string{"      - {network: net1, address: 10.0.1.20}", "      - net1"}, line: 28, field: "containers.doc2.interfaces[0]", msg: "expected a mapping"},
		{name: "version 2", edit: []string{"name: lab\n", "name: lab\nversion: 2\n"}, line: 2, col: 10, field: "version", msg: "unsupported version 2"},
		{name: "version as string", edit: []string{"name: lab\n", "name: lab\nversion: \"1\"\n"}, line: 2, field: "version", msg: "expected an integer"},
		{name: "not a mapping", yaml: "- a\n- b\n", line: 1, field: "", msg: "a topology file is a mapping"},
		{name: "syntax error", yaml: "name: lab\nhosts:\n  host1: {underlay: x\n", line: 3, field: "", msg: "invalid YAML: did not find expected ',' or '}'"},
		{name: "two documents", yaml: "name: a\n---\nname: b\n", line: 2, field: "", msg: "one YAML document"},
		{name: "empty file", yaml: "# nothing\n", line: 0, field: "", msg: "file is empty"},
		{name: "merge key", edit: []string{"  host1:\n", "  host1: &h\n", "    gateway: 172.16.20.1\n", "    gateway: 172.16.20.1\n    <<: *h\n"}, line: 9, col: 5, field: "hosts.host2.<<", msg: "merge keys"},
		{name: "alias to an unknown anchor", edit: []string{"image: busybox,", "image: *img,"}, line: 0, field: "", msg: "unknown anchor"},
		{name: "complex key", edit: []string{"  host2:\n", "  ? [a, b]\n  : {}\n  host2:\n"}, line: 6, field: "hosts", msg: "keys must be plain names"},
	})
}

func TestRequiredFields(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "name", edit: []string{"name: lab\n", ""}, line: 1, field: "name", msg: `missing required field "name"`},
		{name: "hosts", yaml: "name: lab\n", line: 1, field: "hosts", msg: `missing required field "hosts"`},
		{name: "hosts null", yaml: "name: lab\nhosts:\n", line: 2, field: "hosts", msg: "has no value"},
		{name: "hosts empty", yaml: "name: lab\nhosts: {}\n", line: 2, field: "hosts", msg: "at least one host"},
		{name: "host underlay", edit: []string{"    underlay: 172.16.10.100/24\n", ""}, line: 3, col: 3, field: "hosts.host1.underlay", msg: "missing required field"},
		{name: "host gateway", edit: []string{"    gateway: 172.16.20.1\n", ""}, line: 6, field: "hosts.host2.gateway", msg: "missing required field"},
		{name: "host with no settings", edit: []string{"    underlay: 172.16.20.100/24\n    gateway: 172.16.20.1\n", ""}, line: 6, field: "hosts.host2", msg: "expected a mapping with underlay, gateway"},
		{name: "host underlay null", edit: []string{"    underlay: 172.16.20.100/24\n", "    underlay:\n"}, line: 7, field: "hosts.host2.underlay", msg: `"underlay" has no value`},
		{name: "network subnet", edit: []string{"    subnet: 10.0.2.0/24\n", ""}, line: 17, field: "networks.net2.subnet", msg: "missing required field"},
		{name: "network vni", edit: []string{"    vni: 6000\n", ""}, line: 17, field: "networks.net2.vni", msg: "missing required field"},
		{name: "gateway host", edit: []string{"{host: host1, address: 10.0.1.1, nat: true}", "{address: 10.0.1.1, nat: true}"}, line: 16, col: 5, field: "networks.net1.gateway.host", msg: "missing required field"},
		{name: "container host", edit: []string{"doc1: {host: host1, ", "doc1: {"}, line: 23, col: 3, field: "containers.doc1.host", msg: "missing required field"},
		{name: "container image", edit: []string{"    image: busybox\n", ""}, line: 24, field: "containers.doc2.image", msg: "missing required field"},
		{name: "container network and address", edit: []string{", network: net1, address: 10.0.1.10}", "}"}, line: 23, field: "containers.doc1.network", msg: "missing network and address (or interfaces)"},
		{name: "short form address", edit: []string{", address: 10.0.1.10}", "}"}, line: 23, field: "containers.doc1.address", msg: "missing required field"},
		{name: "short form network", edit: []string{"network: net1, address: 10.0.1.10}", "address: 10.0.1.10}"}, line: 23, field: "containers.doc1.network", msg: "missing required field"},
		{name: "mac alone", edit: []string{", network: net1, address: 10.0.1.10}", ", mac: \"02:00:00:00:00:09\"}"}, line: 23, field: "containers.doc1.address", msg: "missing required field", count: 2},
		{name: "interface address", edit: []string{"{network: net1, address: 10.0.1.20}", "{network: net1}"}, line: 28, col: 9, field: "containers.doc2.interfaces[0].address", msg: "missing required field"},
		{name: "interface network", edit: []string{"{network: net1, address: 10.0.1.20}", "{address: 10.0.1.20}"}, line: 28, field: "containers.doc2.interfaces[0].network", msg: "missing required field"},
		{name: "both forms", edit: []string{"    image: busybox\n", "    image: busybox\n    network: net1\n"}, line: 28, col: 5, field: "containers.doc2.interfaces", msg: "not both"},
	})
}

func TestNames(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "lab name uppercase", edit: []string{"name: lab", "name: Lab"}, line: 1, col: 7, field: "name", msg: "is not valid"},
		{name: "lab name ends with dash", edit: []string{"name: lab", "name: lab-"}, line: 1, field: "name", msg: "is not valid"},
		{name: "lab name too long", edit: []string{"name: lab", "name: abcdefghijklmnopqrstuvwxy"}, line: 1, field: "name", msg: "at most 24"},
		{name: "lab name empty", edit: []string{"name: lab", `name: ""`}, line: 1, field: "name", msg: "is not valid"},
		{name: "host name", edit: []string{"  host2:", "  host_2:", "host: host2", "host: host_2"}, line: 6, col: 3, field: "hosts.host_2", msg: "host name \"host_2\" is not valid"},
		{name: "host name too long", edit: []string{"  host2:", "  host2-abcdefghij:", "host: host2", "host: host2-abcdefghij"}, line: 6, field: "hosts.host2-abcdefghij", msg: "at most 15"},
		{name: "host named router", edit: []string{"  host2:", "  router:", "host: host2", "host: router"}, line: 6, col: 3, field: "hosts.router", msg: `host name "router" is reserved: emulation names the router's netns`},
		{name: "host named wan", edit: []string{"  host2:", "  wan:", "host: host2", "host: wan"}, line: 6, col: 3, field: "hosts.wan", msg: `host name "wan" is reserved: emulation names the emulated internet's netns`},
		{name: "host named lo", edit: []string{"  host2:", "  lo:", "host: host2", "host: lo"}, line: 6, col: 3, field: "hosts.lo", msg: `host name "lo" is reserved: the router's end of each host's underlay link is named after the host`},
		{name: "container named router", edit: []string{"  doc2:", "  router:"}, line: 24, col: 3, field: "containers.router", msg: `container name "router" is reserved for the emulated router`},
		{name: "container named wan", edit: []string{"  doc1:", "  wan:"}, line: 23, col: 3, field: "containers.wan", msg: `container name "wan" is reserved for the emulated wan`},
		{name: "container named like a host", edit: []string{"  doc2:", "  host1:"}, line: 24, col: 3, field: "containers.host1", msg: `container name "host1" is also the name of hosts.host1 (line 3)`},
		{name: "container named like a later host", yaml: "name: lab\ncontainers:\n  h2: {host: h1, image: busybox, network: n, address: 10.0.1.10}\nnetworks:\n  n: {subnet: 10.0.1.0/24, vni: 1}\nhosts:\n  h1: {underlay: 172.16.0.2/24, gateway: 172.16.0.1}\n  h2: {underlay: 172.16.0.3/24, gateway: 172.16.0.1}\n", line: 3, col: 3, field: "containers.h2", msg: "is also the name of hosts.h2 (line 8)"},
		{name: "network name", edit: []string{"  net2:", "  Net2:", "network: net2", "network: Net2"}, line: 17, field: "networks.Net2", msg: "is not valid"},
		{name: "network name too long", edit: []string{"  net2:", "  net2-abcdefghijk:", "network: net2", "network: net2-abcdefghijk"}, line: 17, field: "networks.net2-abcdefghijk", msg: "at most 15"},
		{name: "container name", edit: []string{"  doc2:", "  doc.2:"}, line: 24, field: "containers.doc.2", msg: "is not valid"},
		{name: "container name of one character", edit: []string{"  doc2:", "  d:"}, line: 24, col: 3, field: "containers.d", msg: `container name "d" is one character: Docker needs at least two`},
		{name: "container name too long", edit: []string{"  doc2:", "  " + strings.Repeat("d", 64) + ":"}, line: 24, field: "containers." + strings.Repeat("d", 64), msg: "at most 63"},
		{name: "bridge too long", edit: []string{"bridge: br1", "bridge: br-0123456789abc"}, line: 15, col: 13, field: "networks.net1.bridge", msg: "Linux allows at most 15"},
		{name: "bridge characters", edit: []string{"bridge: br1", "bridge: br/1"}, line: 15, field: "networks.net1.bridge", msg: "is not valid"},
		{name: "bridge dot-dot", edit: []string{"bridge: br1", "bridge: .."}, line: 15, field: "networks.net1.bridge", msg: "is not valid"},
		{name: "bridge empty", edit: []string{"bridge: br1", `bridge: ""`}, line: 15, field: "networks.net1.bridge", msg: "is empty"},
		{name: "bridge br-phy", edit: []string{"bridge: br1", "bridge: br-phy"}, line: 15, field: "networks.net1.bridge", msg: "reserved"},
		{name: "bridge ovs-system", edit: []string{"bridge: br1", "bridge: ovs-system"}, line: 15, field: "networks.net1.bridge", msg: "reserved"},
		{name: "default bridge too long", edit: []string{"  net2:", "  net2abcdefghi:", "network: net2,", "network: net2abcdefghi,"}, line: 17, col: 3, field: "networks.net2abcdefghi.bridge", msg: `default bridge name "br-net2abcdefghi" is 16 bytes`},
		{name: "interface name too long", edit: []string{"    gateway: 172.16.10.1\n", "    gateway: 172.16.10.1\n    interface: enp0s31f6-abcdefg\n"}, line: 6, field: "hosts.host1.interface", msg: "at most 15"},
		{name: "interface name characters", edit: []string{"    gateway: 172.16.10.1\n", "    gateway: 172.16.10.1\n    interface: eth:0\n"}, line: 6, field: "hosts.host1.interface", msg: "is not valid"},
		{name: "datapath", edit: []string{"    gateway: 172.16.10.1\n", "    gateway: 172.16.10.1\n    datapath: dpdk\n"}, line: 6, field: "hosts.host1.datapath", msg: `unknown datapath "dpdk"`},
		{name: "image uppercase", edit: []string{"image: busybox,", "image: BusyBox,"}, line: 23, field: "containers.doc1.image", msg: "must be lowercase"},
		{name: "image with space", edit: []string{"image: busybox,", "image: 'busy box',"}, line: 23, field: "containers.doc1.image", msg: "not a valid Docker image reference"},
		{name: "image empty", edit: []string{"image: busybox,", "image: '',"}, line: 23, field: "containers.doc1.image", msg: "image is empty"},
		{name: "image bad tag", edit: []string{"image: busybox,", "image: 'busybox:-1',"}, line: 23, field: "containers.doc1.image", msg: "not a valid"},
	})
}

func TestNetworkRules(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "vni zero", edit: []string{"vni: 5000", "vni: 0"}, line: 14, field: "networks.net1.vni", msg: "out of range 1..16777215"},
		{name: "vni too large", edit: []string{"vni: 5000", "vni: 16777216"}, line: 14, field: "networks.net1.vni", msg: "out of range"},
		{name: "vni overflows int64", edit: []string{"vni: 5000", "vni: 99999999999999999999"}, line: 14, field: "networks.net1.vni", msg: "expected an integer, found the number"},
		{name: "vni duplicate", edit: []string{"vni: 6000", "vni: 5000"}, line: 19, col: 10, field: "networks.net2.vni", msg: "VNI 5000 is already used by networks.net1 (line 14)"},
		{name: "bridge duplicate", edit: []string{"    vni: 6000\n", "    vni: 6000\n    bridge: br1\n"}, line: 20, field: "networks.net2.bridge", msg: "bridge br1 is already used by networks.net1 (line 15)"},
		{name: "default bridge duplicate", edit: []string{"bridge: br1", "bridge: br-net2"}, line: 17, field: "networks.net2.bridge", msg: "bridge br-net2 is already used by networks.net1 (line 15)"},
		{name: "subnet IPv6", edit: []string{"subnet: 10.0.2.0/24", "subnet: fd00::/64"}, line: 18, field: "networks.net2.subnet", msg: "IPv4 only"},
		{name: "subnet host bits", edit: []string{"subnet: 10.0.1.0/24", "subnet: 10.0.1.5/24"}, line: 13, col: 13, field: "networks.net1.subnet", msg: "did you mean 10.0.1.0/24?"},
		{name: "subnet without prefix", edit: []string{"subnet: 10.0.1.0/24", "subnet: 10.0.1.0"}, line: 13, field: "networks.net1.subnet", msg: "needs a prefix length"},
		{name: "subnet garbage", edit: []string{"subnet: 10.0.1.0/24", "subnet: ten"}, line: 13, field: "networks.net1.subnet", msg: "not an IPv4 subnet"},
		{name: "subnet too small", edit: []string{"subnet: 10.0.2.0/24", "subnet: 10.0.2.0/31"}, line: 18, field: "networks.net2.subnet", msg: "too small"},
		{name: "subnet loopback", edit: []string{"subnet: 10.0.2.0/24", "subnet: 127.0.0.0/24"}, line: 18, field: "networks.net2.subnet", msg: "loopback"},
		{name: "subnets overlap", edit: []string{"subnet: 10.0.2.0/24", "subnet: 10.0.0.0/16"}, line: 18, field: "networks.net2.subnet", msg: "10.0.0.0/16 overlaps 10.0.1.0/24 of networks.net1 (line 13)"},
		{name: "subnet overlaps underlay", edit: []string{"subnet: 10.0.2.0/24", "subnet: 172.16.20.0/24", "address: 10.0.2.20", "address: 172.16.20.20"}, line: 18, field: "networks.net2.subnet", msg: "overlaps the underlay 172.16.20.0/24 of hosts.host2 (line 7)"},
		{name: "subnet overlaps wan", edit: []string{"subnet: 10.0.2.0/24", "subnet: 198.51.100.0/24", "address: 10.0.2.20", "address: 198.51.100.20"}, line: 18, field: "networks.net2.subnet", msg: "overlaps emulation.wan 198.51.100.0/24 (line 21)"},
		{name: "subnet overlaps default wan", edit: []string{"emulation:\n  wan: 198.51.100.0/24\n", "", "subnet: 10.0.2.0/24", "subnet: 198.51.100.0/25", "address: 10.0.2.20", "address: 198.51.100.20"}, line: 18, field: "networks.net2.subnet", msg: "the default emulation.wan 198.51.100.0/24"},
		{name: "gateway unknown host", edit: []string{"{host: host1, address: 10.0.1.1", "{host: host9, address: 10.0.1.1"}, line: 16, col: 21, field: "networks.net1.gateway.host", msg: `unknown host "host9"; hosts are: host1, host2`},
		{name: "gateway outside subnet", edit: []string{"address: 10.0.1.1,", "address: 10.0.2.1,"}, line: 16, col: 37, field: "networks.net1.gateway.address", msg: "outside the subnet 10.0.1.0/24"},
		{name: "gateway network address", edit: []string{"address: 10.0.1.1,", "address: 10.0.1.0,"}, line: 16, field: "networks.net1.gateway.address", msg: "network or broadcast"},
		{name: "gateway broadcast address", edit: []string{"address: 10.0.1.1,", "address: 10.0.1.255,"}, line: 16, field: "networks.net1.gateway.address", msg: "network or broadcast"},
		{name: "gateway with prefix", edit: []string{"address: 10.0.1.1,", "address: 10.0.1.1/24,"}, line: 16, field: "networks.net1.gateway.address", msg: "has a prefix length"},
		{name: "gateway is a mapping", edit: []string{"{host: host1, address: 10.0.1.1, nat: true}", "host1"}, line: 16, field: "networks.net1.gateway", msg: "expected a mapping with host, address, nat"},
		{name: "wan too small", edit: []string{"wan: 198.51.100.0/24", "wan: 198.51.100.0/31"}, line: 21, field: "emulation.wan", msg: "use /30 or shorter"},
		{name: "wan host bits", edit: []string{"wan: 198.51.100.0/24", "wan: 198.51.100.1/24"}, line: 21, field: "emulation.wan", msg: "did you mean 198.51.100.0/24?"},
		{name: "wan overlaps underlay", edit: []string{"wan: 198.51.100.0/24", "wan: 172.16.0.0/16"}, line: 21, col: 8, field: "emulation.wan", msg: "overlaps the underlay 172.16.10.0/24 of hosts.host1 (line 4)"},
	})
}

func TestHostRules(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "underlay without prefix", edit: []string{"underlay: 172.16.10.100/24", "underlay: 172.16.10.100"}, line: 4, col: 15, field: "hosts.host1.underlay", msg: "needs a prefix length, e.g. 172.16.10.100/24"},
		{name: "underlay network address", edit: []string{"underlay: 172.16.10.100/24", "underlay: 172.16.10.0/24"}, line: 4, field: "hosts.host1.underlay", msg: "network address"},
		{name: "underlay broadcast address", edit: []string{"underlay: 172.16.10.100/24", "underlay: 172.16.10.255/24"}, line: 4, field: "hosts.host1.underlay", msg: "broadcast address"},
		{name: "underlay /32", edit: []string{"underlay: 172.16.10.100/24", "underlay: 172.16.10.100/32"}, line: 4, field: "hosts.host1.underlay", msg: "/32 leaves no room"},
		{name: "underlay IPv6", edit: []string{"underlay: 172.16.10.100/24", "underlay: fd00::1/64"}, line: 4, field: "hosts.host1.underlay", msg: "IPv4 only"},
		{name: "underlay garbage", edit: []string{"underlay: 172.16.10.100/24", "underlay: host1.lan"}, line: 4, field: "hosts.host1.underlay", msg: "not an IPv4 address with prefix"},
		{name: "underlay duplicate", edit: []string{"underlay: 172.16.20.100/24", "underlay: 172.16.10.100/24", "gateway: 172.16.20.1", "gateway: 172.16.10.1"}, line: 7, field: "hosts.host2.underlay", msg: "172.16.10.100 is already the underlay address of hosts.host1 (line 4)"},
		{name: "underlay subnets overlap", edit: []string{"underlay: 172.16.20.100/24", "underlay: 172.16.10.200/25", "gateway: 172.16.20.1", "gateway: 172.16.10.129"}, line: 7, field: "hosts.host2.underlay", msg: "overlaps 172.16.10.0/24 of hosts.host1"},
		{name: "gateway outside underlay subnet", edit: []string{"gateway: 172.16.10.1", "gateway: 172.16.20.1\n    #"}, line: 5, col: 14, field: "hosts.host1.gateway", msg: "outside the underlay subnet 172.16.10.0/24"},
		{name: "gateway is own address", edit: []string{"gateway: 172.16.10.1", "gateway: 172.16.10.100"}, line: 5, field: "hosts.host1.gateway", msg: "own underlay address"},
		{name: "gateway is broadcast", edit: []string{"gateway: 172.16.10.1", "gateway: 172.16.10.255"}, line: 5, field: "hosts.host1.gateway", msg: "network or broadcast"},
		{name: "gateway is another host", edit: []string{"underlay: 172.16.20.100/24", "underlay: 172.16.10.101/24", "gateway: 172.16.20.1", "gateway: 172.16.10.100"}, line: 8, field: "hosts.host2.gateway", msg: "is the underlay address of hosts.host1 (line 4)"},
		{name: "gateway with prefix", edit: []string{"gateway: 172.16.10.1", "gateway: 172.16.10.1/24"}, line: 5, field: "hosts.host1.gateway", msg: "has a prefix length"},
		{name: "gateway multicast", edit: []string{"gateway: 172.16.10.1", "gateway: 224.0.0.1"}, line: 5, field: "hosts.host1.gateway", msg: "multicast"},
		{name: "mtu too small", edit: []string{"mtu: 1554", "mtu: 1279"}, line: 10, col: 8, field: "underlay.mtu", msg: "out of range 1280..9216"},
		{name: "mtu too large", edit: []string{"mtu: 1554", "mtu: 9217"}, line: 10, field: "underlay.mtu", msg: "out of range"},
	})
}

func TestContainerRules(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "unknown host", edit: []string{"host: host2", "host: host3"}, line: 25, col: 11, field: "containers.doc2.host", msg: `unknown host "host3"`},
		{name: "unknown network", edit: []string{"{network: net1, address: 10.0.1.20}", "{network: net9, address: 10.0.1.20}"}, line: 28, col: 19, field: "containers.doc2.interfaces[0].network", msg: `unknown network "net9"; networks are: net1, net2`},
		{name: "two interfaces on one network", edit: []string{"{network: net2, address: 10.0.2.20", "{network: net1, address: 10.0.1.21"}, line: 29, field: "containers.doc2.interfaces[1].network", msg: "a second interface on net1 (the first is at line 28)"},
		{name: "address outside subnet", edit: []string{"address: 10.0.1.10}", "address: 10.0.2.10}"}, line: 23, col: 63, field: "containers.doc1.address", msg: "outside the subnet 10.0.1.0/24 of networks.net1"},
		{name: "address is network address", edit: []string{"address: 10.0.1.10}", "address: 10.0.1.0}"}, line: 23, field: "containers.doc1.address", msg: "network or broadcast"},
		{name: "address is broadcast", edit: []string{"address: 10.0.1.10}", "address: 10.0.1.255}"}, line: 23, field: "containers.doc1.address", msg: "network or broadcast"},
		{name: "address is the gateway", edit: []string{"address: 10.0.1.10}", "address: 10.0.1.1}"}, line: 23, field: "containers.doc1.address", msg: "is the gateway of networks.net1 (line 16)"},
		{name: "address is the default gateway", edit: []string{"address: 10.0.1.1, ", "", "address: 10.0.1.10}", "address: 10.0.1.1}"}, line: 23, field: "containers.doc1.address", msg: "is the gateway of networks.net1"},
		{name: "address with prefix", edit: []string{"address: 10.0.1.10}", "address: 10.0.1.10/24}"}, line: 23, field: "containers.doc1.address", msg: "give the plain address, e.g. 10.0.1.10"},
		{name: "address not IPv4", edit: []string{"address: 10.0.1.10}", "address: 'fd00::10'}"}, line: 23, field: "containers.doc1.address", msg: "IPv4 only"},
		{name: "address garbage", edit: []string{"address: 10.0.1.10}", "address: doc1}"}, line: 23, field: "containers.doc1.address", msg: "not an IPv4 address"},
		{name: "address duplicate", edit: []string{"address: 10.0.1.20}", "address: 10.0.1.10}"}, line: 28, col: 34, field: "containers.doc2.interfaces[0].address", msg: "10.0.1.10 is already used by containers.doc1 (line 23)"},
		{name: "mac invalid", edit: []string{`mac: "02:00:00:00:00:01"`, `mac: "zz"`}, line: 29, col: 50, field: "containers.doc2.interfaces[1].mac", msg: "not a MAC address"},
		{name: "mac EUI-64", edit: []string{`mac: "02:00:00:00:00:01"`, `mac: "02:00:00:00:00:00:00:01"`}, line: 29, field: "containers.doc2.interfaces[1].mac", msg: "not a MAC address"},
		{name: "mac multicast", edit: []string{`mac: "02:00:00:00:00:01"`, `mac: "01:00:5e:00:00:01"`}, line: 29, field: "containers.doc2.interfaces[1].mac", msg: "multicast MAC"},
		{name: "mac zero", edit: []string{`mac: "02:00:00:00:00:01"`, `mac: "00:00:00:00:00:00"`}, line: 29, field: "containers.doc2.interfaces[1].mac", msg: "all-zero"},
		{name: "mac duplicate", edit: []string{`mac: "02:00:00:00:00:01"`, `mac: "02:42:0a:00:01:0a"`}, line: 29, field: "containers.doc2.interfaces[1].mac", msg: "MAC 02:42:0a:00:01:0a is already used by containers.doc1 (line 23)"},
		{name: "default mac duplicate", edit: []string{"address: 10.0.1.10}", "address: 10.0.1.10, mac: '02:42:0a:00:01:14'}"}, line: 28, field: "containers.doc2.interfaces[0].address", msg: "default MAC 02:42:0a:00:01:14 (from the address) is already used by containers.doc1"},
		{name: "build missing", edit: []string{"    image: busybox\n", "    image: busybox\n    build: ./no-such-dir\n"}, line: 27, field: "containers.doc2.build", msg: "does not exist"},
		{name: "build empty", edit: []string{"    image: busybox\n", "    image: busybox\n    build: ''\n"}, line: 27, field: "containers.doc2.build", msg: "build is empty"},
	})
}

// TestPortNameClashes covers names that only collide once a host's plan is
// made: OVS ports and kernel interfaces share one namespace per host.
func TestPortNameClashes(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "veth vs tunnel", edit: []string{"  doc1:", "  x5000-host2:"}, line: 23, col: 3, field: "containers.x5000-host2", msg: `host veth "vx5000-host2" of containers.x5000-host2 eth0 on host1 clashes with the VXLAN port of networks.net1 to host2`},
		{name: "gateway port vs bridge", edit: []string{"    vni: 6000\n", "    vni: 6000\n    bridge: net1\n    gateway: {host: host1}\n"}, line: 16, field: "networks.net1.gateway", msg: `gateway port "net1" of networks.net1 on host1 clashes with the bridge of networks.net2 (line 20)`},
		{name: "gateway port reserved", edit: []string{"  net2:", "  lo:", "network: net2", "network: lo", "    vni: 6000\n", "    vni: 6000\n    gateway: {host: host2}\n"}, line: 20, field: "networks.lo.gateway", msg: `gateway port name "lo" is reserved for the loopback interface`},
		{name: "bridge vs emulated uplink", edit: []string{"bridge: br1", "bridge: eth0"}, line: 15, field: "networks.net1.bridge", msg: `bridge "eth0" of networks.net1 on host1 clashes with the underlay interface of hosts.host1 (line 3)`},
		{name: "bridge vs named uplink", edit: []string{"    gateway: 172.16.10.1\n", "    gateway: 172.16.10.1\n    interface: br1\n"}, line: 16, field: "networks.net1.bridge", msg: `clashes with the underlay interface of hosts.host1 (line 6)`},
	})
}

func TestErrorsAllAtOnce(t *testing.T) {
	src := edit(t,
		"vni: 6000", "vni: 5000",
		"name: lab", "name: Lab",
		"host: host2", "host: host3",
		"mtu: 1554", "mtu: big",
	)
	_, err := Parse("lab.yaml", []byte(src))
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want an ErrorList", err)
	}
	want := []string{
		`lab.yaml:1:7: name: lab name "Lab" is not valid: use lowercase letters, digits and '-' (not first or last)`,
		`lab.yaml:10:8: underlay.mtu: expected an integer, found the string "big"`,
		`lab.yaml:19:10: networks.net2.vni: VNI 5000 is already used by networks.net1 (line 14); give each network a VNI of its own`,
		`lab.yaml:25:11: containers.doc2.host: unknown host "host3"; hosts are: host1, host2`,
	}
	if got := err.Error(); got != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}

func TestErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  Error
		want string
	}{
		{Error{File: "f.yaml", Line: 3, Column: 5, Field: "networks.net1.vni", Msg: "bad"}, "f.yaml:3:5: networks.net1.vni: bad"},
		{Error{File: "f.yaml", Line: 3, Msg: "bad"}, "f.yaml:3: bad"},
		{Error{File: "f.yaml", Msg: "bad"}, "f.yaml: bad"},
		{Error{Msg: "bad"}, "bad"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	if IsInvalid(errors.New("x")) || IsInvalid(nil) {
		t.Error("IsInvalid true for a plain error")
	}
	if !IsInvalid(&Error{Msg: "x"}) {
		t.Error("IsInvalid false for *Error")
	}
}

// TestHostileFiles checks that aliases cannot make a small file expensive
// and that a file full of mistakes yields a bounded report.
func TestHostileFiles(t *testing.T) {
	var b strings.Builder
	b.WriteString("name: lab\nhosts:\n  h: {underlay: 10.0.0.2/24, gateway: 10.0.0.1}\nx: &m {")
	for i := range 400 {
		fmt.Fprintf(&b, "k%d: 1, ", i)
	}
	b.WriteString("}\ncontainers:\n  c: {host: h, image: x, interfaces: [")
	for range 400 {
		b.WriteString("*m, ")
	}
	b.WriteString("]}\n")
	_, err := Parse("lab.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "expands to more than") {
		t.Errorf("alias bomb: %.300v", err)
	}

	b.Reset()
	for i := range 300 {
		fmt.Fprintf(&b, "k%d: 1\n", i)
	}
	_, err = Parse("lab.yaml", []byte(b.String()))
	var list ErrorList
	if !errors.As(err, &list) || len(list) != maxErrors+1 || !strings.Contains(err.Error(), "too many errors") {
		t.Errorf("got %d errors, want %d ending in 'too many errors'", len(list), maxErrors+1)
	}
}
