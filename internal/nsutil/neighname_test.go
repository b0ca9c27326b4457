package nsutil

import (
	"net"
	"net/netip"
	"testing"
)

func TestNameNeighbours(t *testing.T) {
	mac := func(s string) net.HardwareAddr { m, _ := net.ParseMAC(s); return m }
	a := []Neighbour{{Addr: netip.MustParseAddr("10.0.1.1"), MAC: mac("02:42:0a:00:01:01")}}
	b := []Neighbour{{Addr: netip.MustParseAddr("10.0.1.1"), MAC: mac("02:42:0a:00:01:02")}}
	c := append(append([]Neighbour{}, a...), Neighbour{Addr: netip.MustParseAddr("10.0.1.2"), MAC: mac("02:42:0a:00:01:02")})
	if NameNeighbours(a) != NameNeighbours(append([]Neighbour{}, a...)) {
		t.Error("the same set has two digests")
	}
	for _, other := range [][]Neighbour{b, c, nil} {
		if NameNeighbours(a) == NameNeighbours(other) {
			t.Errorf("%v and %v share a digest: up would keep a stale set", a, other)
		}
	}
	if l := len(NeighboursMark + NameNeighbours(c)); l > 255 {
		t.Errorf("alias of %d bytes, over IFALIASZ", l)
	}
}
