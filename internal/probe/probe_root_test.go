package probe

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootPingDF builds a -- b with MTU 1400 on the link and shows that a
// DF probe larger than the path fails while one that fits, or a small one,
// gets an answer.
func TestRootPingDF(t *testing.T) {
	a := mtuPair(t, "probe", "10.77.0.1/24", "10.77.0.2/24")
	dst := netip.MustParseAddr("10.77.0.2")
	for _, tc := range []struct {
		name string
		e    Echo
		ok   bool
	}{
		{"small", Echo{Dst: dst, Size: 56}, true},
		{"fits 1400", Echo{Dst: dst, Size: 1372, DF: true}, true},
		{"DF over the path", Echo{Dst: dst, Size: 1472, DF: true}, false},
		{"nobody there", Echo{Dst: netip.MustParseAddr("10.77.0.9"), Size: 56}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.e.Timeout, tc.e.Tries = 500*time.Millisecond, 2
			_, err := Ping(context.Background(), nsutil.Path(a), tc.e)
			if (err == nil) != tc.ok {
				t.Fatalf("Ping(%+v) err = %v, want ok=%v", tc.e, err, tc.ok)
			}
		})
	}
}

// TestRootPingStopsWithContext: a cancelled check must not wait out its
// probes' timeouts (Ctrl-C stops any command within a second).
func TestRootPingStopsWithContext(t *testing.T) {
	testenv.Require(t, "ip")
	a, b := testenv.Netns(t, "prba"), testenv.Netns(t, "prbb")
	// 10.78.0.9 is on a link whose far end answers nothing.
	testenv.Run(t, "ip", "-n", a, "link", "add", "p0", "type", "veth", "peer", "name", "p1", "netns", b)
	testenv.Run(t, "ip", "-n", a, "addr", "add", "10.78.0.1/24", "dev", "p0")
	testenv.Run(t, "ip", "-n", a, "link", "set", "p0", "up")
	testenv.Run(t, "ip", "-n", b, "link", "set", "p1", "up")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Ping(ctx, nsutil.Path(a), Echo{Dst: netip.MustParseAddr("10.78.0.9"), Size: 56, Timeout: 10 * time.Second, Tries: 3})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Ping after cancel = %v, want context.Canceled", err)
	}
	// A bound on a hang, not a timing target: the probe alone would wait 30 s.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Ping returned %s after cancel", d)
	}
}

// TestRootARP: an ARP request is answered by a neighbour on the link and
// by nobody for an address no one holds.
func TestRootARP(t *testing.T) {
	testenv.Require(t, "ip")
	a, b := testenv.Netns(t, "arpa"), testenv.Netns(t, "arpb")
	testenv.Run(t, "ip", "-n", a, "link", "add", "pa", "type", "veth", "peer", "name", "pb", "netns", b)
	testenv.Run(t, "ip", "-n", a, "addr", "add", "10.79.0.1/24", "dev", "pa")
	testenv.Run(t, "ip", "-n", b, "addr", "add", "10.79.0.2/24", "dev", "pb")
	testenv.Run(t, "ip", "-n", a, "link", "set", "pa", "up")
	testenv.Run(t, "ip", "-n", b, "link", "set", "pb", "up")
	for dst, want := range map[string]bool{"10.79.0.2": true, "10.79.0.9": false} {
		got, err := ARP(context.Background(), nsutil.Path(a), "pa", netip.MustParseAddr(dst), 500*time.Millisecond)
		if err != nil || got != want {
			t.Errorf("ARP who-has %s = %v, %v; want %v", dst, got, err, want)
		}
	}
}

// TestRootSweep sends a mix of echoes through one sweep, a few in flight
// at once, and gets for each what Ping gets for it alone: replies, a DF
// packet over the path lost, silence from an address nobody holds.
func TestRootSweep(t *testing.T) {
	a := mtuPair(t, "sweep", "10.77.1.1/24", "10.77.1.2/24", "10.77.1.3/24")
	peer, other, nobody := netip.MustParseAddr("10.77.1.2"), netip.MustParseAddr("10.77.1.3"), netip.MustParseAddr("10.77.1.9")
	var echoes []Echo
	var want []bool
	for i := range 40 {
		e := Echo{Dst: peer, Size: 56, Timeout: 300 * time.Millisecond, Tries: 2}
		ok := true
		switch i % 5 {
		case 1:
			e.Dst = other
		case 2:
			e.Dst, ok = nobody, false
		case 3:
			e.Size, e.DF = 1372, true // fits the 1400-byte end
		case 4:
			e.Size, e.DF, ok = 1472, true, false // does not
		}
		echoes, want = append(echoes, e), append(want, ok)
	}
	out, err := Sweep(context.Background(), nsutil.Path(a), echoes, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(echoes) {
		t.Fatalf("%d outcomes for %d echoes", len(out), len(echoes))
	}
	for i, o := range out {
		if (o.Err == nil) != want[i] {
			t.Errorf("echo %d (%s, %d bytes, DF %v): err %v, want ok=%v", i, echoes[i].Dst, echoes[i].Size+28, echoes[i].DF, o.Err, want[i])
		}
		if o.Err == nil && o.RTT <= 0 {
			t.Errorf("echo %d: a reply with round-trip time %s", i, o.RTT)
		}
		if echoes[i].Size == 1472 && !errors.Is(o.Err, ErrNoReply) {
			t.Errorf("echo %d, DF over the path: err %v, want %v", i, o.Err, ErrNoReply)
		}
	}
}

// mtuPair links two new netns by a veth pair: the near end (MTU 1500)
// holds near, the far end (MTU 1400) holds far. It returns the near
// netns, where probes start.
func mtuPair(t *testing.T, name, near string, far ...string) string {
	t.Helper()
	testenv.Require(t, "ip")
	a, b := testenv.Netns(t, name+"a"), testenv.Netns(t, name+"b")
	testenv.Run(t, "ip", "-n", a, "link", "add", "pa", "type", "veth", "peer", "name", "pb", "netns", b)
	testenv.Run(t, "ip", "-n", a, "addr", "add", near, "dev", "pa")
	for _, addr := range far {
		testenv.Run(t, "ip", "-n", b, "addr", "add", addr, "dev", "pb")
	}
	testenv.Run(t, "ip", "-n", a, "link", "set", "pa", "mtu", "1500", "up")
	testenv.Run(t, "ip", "-n", b, "link", "set", "pb", "mtu", "1400", "up")
	// Until the kernel's link watcher has seen the carrier (up to a
	// second later, under load) a veth drops what it is given: the
	// first echoes of a sweep went unanswered.
	for ns, dev := range map[string]string{a: "pa", b: "pb"} {
		testenv.Eventually(t, 10*time.Second, func() error {
			out := testenv.Run(t, "ip", "-n", ns, "-o", "link", "show", dev)
			if !strings.Contains(out, "state UP") {
				return fmt.Errorf("%s in %s is not up yet: %s", dev, ns, out)
			}
			return nil
		})
	}
	return a
}
