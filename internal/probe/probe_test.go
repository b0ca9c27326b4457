package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

func TestChecksum(t *testing.T) {
	// An echo request with its checksum in place sums to zero.
	b := echoRequest(0x1234, 1, 56)
	if c := checksum(b); c != 0 {
		t.Fatalf("checksum over a finished packet = %#x, want 0", c)
	}
	odd := echoRequest(1, 1, 57)
	if c := checksum(odd); c != 0 {
		t.Fatalf("odd-length checksum = %#x, want 0", c)
	}
}

// TestSweepOneSource: a sweep is one socket, so its echoes cannot ask for
// different sources or TTLs; it says so rather than send some wrongly.
func TestSweepOneSource(t *testing.T) {
	dst := netip.MustParseAddr("192.0.2.77")
	for name, second := range map[string]Echo{
		"source": {Dst: dst, Src: netip.MustParseAddr("192.0.2.5")},
		"ttl":    {Dst: dst, TTL: 3},
	} {
		_, err := Sweep(context.Background(), "", []Echo{{Dst: dst}, second}, 2)
		if err == nil || !strings.Contains(err.Error(), "share one source and TTL") {
			t.Errorf("%s: Sweep = %v, want the one-source error", name, err)
		}
	}
}
