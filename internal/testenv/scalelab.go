package testenv

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/topology"
)

// ScaleLab is a lab of hosts x per containers on two networks spanning
// every host, as emulation plans it: the shape check and up are sized by.
func ScaleLab(t *testing.T, hosts, per int) *topology.Topology {
	t.Helper()
	var b strings.Builder
	b.WriteString("name: scale\nhosts:\n")
	for h := 1; h <= hosts; h++ {
		fmt.Fprintf(&b, "  h%d: {underlay: 172.31.%d.100/24, gateway: 172.31.%d.1}\n", h, h, h)
	}
	b.WriteString("networks:\n  net1: {subnet: 10.91.0.0/16, vni: 5001, gateway: {host: h1, nat: true}}\n  net2: {subnet: 10.92.0.0/16, vni: 5002}\ncontainers:\n")
	for h := 1; h <= hosts; h++ {
		for i := 1; i <= per; i++ {
			n := 1 + i%2
			fmt.Fprintf(&b, "  c%dx%d: {host: h%d, image: ovslab/busybox, network: net%d, address: 10.9%d.%d.%d}\n", h, i, h, n, n, h, i+1)
		}
	}
	topo, err := topology.Parse("scale.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	topo.ForEmulation(false)
	return topo
}
