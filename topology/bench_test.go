package topology

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// bigLab writes a lab of hosts × networks with perHost containers on every
// host, each on one network: the full-mesh tunnel count grows as hosts².
func bigLab(hosts, networks, perHost int) []byte {
	var b strings.Builder
	b.WriteString("name: big\nhosts:\n")
	for h := 0; h < hosts; h++ {
		fmt.Fprintf(&b, "  h%d: {underlay: 172.16.%d.100/24, gateway: 172.16.%d.1}\n", h, h, h)
	}
	b.WriteString("networks:\n")
	for n := 0; n < networks; n++ {
		fmt.Fprintf(&b, "  n%d: {subnet: 10.%d.0.0/16, vni: %d, gateway: {host: h0, nat: true}}\n", n, n, 5000+n)
	}
	b.WriteString("containers:\n")
	for h := 0; h < hosts; h++ {
		for c := 0; c < perHost; c++ {
			n := c % networks
			fmt.Fprintf(&b, "  c%d-%d: {host: h%d, image: ovslab/busybox, network: n%d, address: 10.%d.%d.%d}\n", h, c, h, n, n, h, c+10)
		}
	}
	return []byte(b.String())
}

func BenchmarkParseReference(b *testing.B) {
	data, err := os.ReadFile("testdata/l3-vxlan.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("l3-vxlan.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAndPlanLarge(b *testing.B) {
	data := bigLab(32, 8, 16) // 32 hosts, 8 networks, 512 containers
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		t, err := Parse("big.yaml", data)
		if err != nil {
			b.Fatal(err)
		}
		if len(t.Plans()) != 32 {
			b.Fatal("want 32 plans")
		}
	}
}

func TestBigLabIsValid(t *testing.T) {
	topo, err := Parse("big.yaml", bigLab(4, 2, 3))
	if err != nil {
		t.Fatal(err)
	}
	p, err := topo.Plan("h1")
	if err != nil {
		t.Fatal(err)
	}
	// h1 carries both networks; each meshes with the 3 other hosts.
	if len(p.Bridges) != 2 || len(p.Bridges[0].Tunnels) != 3 {
		t.Fatalf("h1 plan: %d bridges, %d tunnels on the first; want 2 and 3", len(p.Bridges), len(p.Bridges[0].Tunnels))
	}
}
