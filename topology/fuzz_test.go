package topology

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse: it must never panic, must
// report problems as an ErrorList, and what it accepts must plan cleanly.
// The seed corpus (below and in testdata/fuzz/FuzzParse) runs with every
// go test.
func FuzzParse(f *testing.F) {
	ref, err := os.ReadFile(filepath.Join("testdata", "l3-vxlan.yaml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(ref),
		base,
		threeHosts,
		"",
		"---\n",
		"name: x\n",
		"- a\n",
		"name: lab\nhosts: [\n",
		"name: a\n---\nname: b\n",
		"x: &a [*a]\n",
		"hosts: &h {host1: *h}\n",
		"name: lab\nhosts:\n  h: {underlay: 10.0.0.2/8, gateway: 10.0.0.1}\nnetworks: {n: {subnet: 10.0.0.0/8, vni: 1}}\n",
		"name: lab\nhosts:\n  h: {underlay: 1.2.3.4/31, gateway: 1.2.3.5}\nnetworks: {n: {subnet: 0.0.0.0/0, vni: 1}}\n",
		"name: lab\nhosts:\n  h: {underlay: 1.2.3.4/24, gateway: 1.2.3.1}\ncontainers:\n  c: {host: h, image: x, build: /, interfaces: [{network: n, address: 10.0.0.2}]}\n",
		"name: !!int lab\nhosts: !!map {}\n",
		"name: lab\nhosts:\n  h:\n    underlay: !!binary AAAA\n",
		"vni: 0x1388\n",
		"\xff\xfe",
		"\t",
		withExpect("  - {from: doc1, to: doc2.net2, mtu: 1500, message: m}", "  - {from: doc2, to: wan, rtt: {min: 1ms, max: 1s}}"),
		withExpect("  - {from: doc1, to: 10.0.1.20, reach: false}", "  - {from: doc1, to: doc1.net1, reach: true, mtu: 1}", "  - *x"),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := Parse("fuzz.yaml", data)
		if err != nil {
			if top != nil {
				t.Fatal("topology returned along with an error")
			}
			if !IsInvalid(err) {
				t.Fatalf("error is not an ErrorList: %v", err)
			}
			_ = err.Error()
			return
		}
		for _, e := range top.Expect {
			if !e.Dst.Is4() || e.From == "" || e.Want() == e.Kind || e.RTTMin > e.RTTMax {
				t.Fatalf("expectation resolved badly: %+v", e)
			}
		}
		for _, p := range top.Plans() {
			seen := map[string]bool{}
			add := func(name string) {
				if len(name) == 0 || len(name) > MaxIfname {
					t.Fatalf("host %s: bad port name %q", p.Host, name)
				}
				if seen[name] {
					t.Fatalf("host %s: port name %q used twice", p.Host, name)
				}
				seen[name] = true
			}
			for _, b := range p.Bridges {
				add(b.Name)
				if b.Gateway != nil {
					add(b.Gateway.Port)
				}
				for _, tp := range b.Tunnels {
					add(tp.Port)
				}
			}
			for _, c := range p.Containers {
				for _, it := range c.Interfaces {
					add(it.HostVeth)
				}
			}
			if _, err := json.Marshal(p); err != nil {
				t.Fatal(err)
			}
			if p.Text() == "" {
				t.Fatal("empty text")
			}
		}
		top.ForEmulation(false)
	})
}
