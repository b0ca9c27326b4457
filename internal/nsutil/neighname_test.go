package containers

import (
	"net"
	"net/netip"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
)

func TestNameNeighbours(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	a := []nsutil.Neighbour{{Addr: netip.MustParseAddr("10.0.1.1"), MAC: mac("02:42:0a:00:01:01")}}
	b := []nsutil.Neighbour{{Addr: netip.MustParseAddr("10.0.1.1"), MAC: mac("02:42:0a:00:01:02")}}
	c := append(append([]nsutil.Neighbour{}, a...), nsutil.Neighbour{Addr: netip.MustParseAddr("10.0.1.2"), MAC: mac("02:42:0a:00:01:02")})
	if NameNeighbours(a) != NameNeighbours(append([]nsutil.Neighbour{}, a...)) {
		t.Error("the same set has two digests")
	}
	for _, other := range [][]nsutil.Neighbour{b, c, nil} {
		if NameNeighbours(a) == NameNeighbours(other) {
			t.Errorf("%v and %v share a digest: up would keep a stale set", a, other)
		}
	}
	if l := len(neighMark + NameNeighbours(c)); l > 255 {
		t.Errorf("alias of %d bytes, over IFALIASZ", l)
	}
}
