package probe

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootICMPErrors routes a -- r -- b with the r -- b link at MTU 1400:
// a DF probe too big for that link comes back as r's "fragmentation
// needed" naming 1400, and a probe with TTL 1 as r's "time exceeded" —
// what the underlay check needs to name the hop that breaks a path.
func TestRootICMPErrors(t *testing.T) {
	testenv.Require(t, "ip")
	a, r, b := testenv.Netns(t, "ssprobea"), testenv.Netns(t, "ssprober"), testenv.Netns(t, "ssprobeb")
	testenv.Run(t, "ip", "-n", a, "link", "add", "ra", "type", "veth", "peer", "name", "ar", "netns", r)
	testenv.Run(t, "ip", "-n", b, "link", "add", "rb", "type", "veth", "peer", "name", "br", "netns", r)
	testenv.Run(t, "ip", "-n", a, "addr", "add", "10.78.1.2/24", "dev", "ra")
	testenv.Run(t, "ip", "-n", r, "addr", "add", "10.78.1.1/24", "dev", "ar")
	testenv.Run(t, "ip", "-n", r, "addr", "add", "10.78.2.1/24", "dev", "br")
	testenv.Run(t, "ip", "-n", b, "addr", "add", "10.78.2.2/24", "dev", "rb")
	for ns, links := range map[string][]string{a: {"ra"}, r: {"ar", "br"}, b: {"rb"}} {
		for _, l := range links {
			mtu := "1500"
			if l == "br" || l == "rb" {
				mtu = "1400"
			}
			testenv.Run(t, "ip", "-n", ns, "link", "set", "dev", l, "mtu", mtu, "up")
		}
	}
	testenv.Run(t, "ip", "-n", a, "route", "add", "default", "via", "10.78.1.1")
	testenv.Run(t, "ip", "-n", b, "route", "add", "default", "via", "10.78.2.1")
	testenv.Run(t, "ip", "netns", "exec", r, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	dst, hop := netip.MustParseAddr("10.78.2.2"), netip.MustParseAddr("10.78.1.1")

	if _, err := Ping(context.Background(), nsutil.Path(a), Echo{Dst: dst, Size: 56, Timeout: time.Second, Tries: 3}); err != nil {
		t.Fatalf("small ping across r: %v", err)
	}
	for _, tc := range []struct {
		name     string
		e        Echo
		typ, mtu int
	}{
		{"too big for the second link", Echo{Dst: dst, Size: 1472, DF: true}, TypeUnreachable, 1400},
		{"ttl 1", Echo{Dst: dst, Size: 56, TTL: 1}, TypeTimeExceeded, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.e.Timeout, tc.e.Tries = time.Second, 2
			_, err := Ping(context.Background(), nsutil.Path(a), tc.e)
			var ie *ICMPError
			if !errors.As(err, &ie) {
				t.Fatalf("Ping(%+v) = %v, want an ICMP error from %s", tc.e, err, hop)
			}
			if ie.From != hop || ie.Type != tc.typ || ie.NextMTU != tc.mtu {
				t.Errorf("got %+v (%v), want from %s type %d next-hop MTU %d", *ie, ie, hop, tc.typ, tc.mtu)
			}
		})
	}
}
