package topology

import (
	"net/netip"
	"strings"
	"testing"
)

// TestEndpoints: a path on the command line resolves as an expect: entry
// would, and a bad one is an error naming the argument.
func TestEndpoints(t *testing.T) {
	top, err := Parse("lab.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	top.Emulation.WAN = DefaultWAN
	for _, tc := range []struct {
		from, to string
		dst      string
		wan      bool
		err      string
	}{
		{from: "doc1", to: "doc2", dst: "10.0.1.20"},
		{from: "doc1", to: "doc2.net2", dst: "10.0.2.20"},
		{from: "doc1", to: "wan", dst: "198.51.100.1", wan: true},
		{from: "doc1", to: "10.0.1.1", dst: "10.0.1.1"},
		{from: "doc9", to: "doc2", err: `from: unknown container "doc9"`},
		{from: "doc1", to: "doc9", err: `to: unknown node "doc9"`},
		{from: "doc1", to: "doc1", err: "to: from and to are both doc1"},
		{from: "doc1", to: "10.0.1.300", err: "to: 10.0.1.300 is not an IPv4 address"},
		{from: "doc1", to: "doc2.net9", err: `to: unknown network "net9"`},
	} {
		t.Run(tc.from+"->"+tc.to, func(t *testing.T) {
			e, err := top.Endpoints(tc.from, tc.to)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want one starting %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.Dst != netip.MustParseAddr(tc.dst) || e.WAN != tc.wan || e.From != tc.from || e.To != tc.to {
				t.Errorf("got %+v, want dst %s wan %v", e, tc.dst, tc.wan)
			}
		})
	}
}
