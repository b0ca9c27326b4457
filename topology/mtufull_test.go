package topology

import (
	"strings"
	"testing"
)

// TestMTUFull: mtu: full is the largest packet the path's own interfaces
// send, so lowering them (one of two fixes of a VXLAN MTU problem) lowers
// what is graded; any other word is an error.
func TestMTUFull(t *testing.T) {
	src := withExpect(
		"  - {from: doc1, to: doc2, mtu: full}",
		"  - {from: doc1, to: doc2.net2, mtu: full}",
		"  - {from: doc2, to: wan, mtu: full}",
	)
	src = strings.Replace(src, "network: net1, address: 10.0.1.10}", "network: net1, address: 10.0.1.10, mtu: 1450}", 1)
	src = strings.Replace(src, "      - {network: net2, address: 10.0.2.20, mac: \"02:00:00:00:00:01\"}", "      - {network: net2, address: 10.0.2.20, mac: \"02:00:00:00:00:01\", mtu: 1400}", 1)
	top, err := Parse("lab.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{1450, 1400, 1500} {
		e := top.Expect[i]
		if !e.FullMTU || e.MTU != want || e.Want() != "mtu: full" {
			t.Errorf("expect[%d] = full %v, MTU %d, %q; want full, %d, \"mtu: full\"", i, e.FullMTU, e.MTU, e.Want(), want)
		}
	}
	runErrCases(t, []errCase{
		{name: "mtu: max", yaml: withExpect("  - {from: doc1, to: doc2, mtu: max}"), line: 31, col: 33, field: "expect[0].mtu",
			msg: `expected a packet size (576..9000) or full (the largest packet the path's interfaces send), found the string "max"`},
	})
}
