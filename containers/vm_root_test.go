package containers

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/internal/testenv"
)

// impairLink converges imp as the root qdisc of link in netns ns.
func impairLink(t *testing.T, ns, link string, imp Impairment) {
	t.Helper()
	n, err := nsutil.OpenNamed(ns)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	l, err := n.Handle.LinkByName(link)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := convergeQdisc(n.Handle, l, nil, 1500, imp); err != nil {
		t.Fatalf("%s: %v", link, err)
	}
}

// rtts pings dst from ns count times and returns the round trips of the
// replies that came.
func rtts(ns, dst string, count int, timeout time.Duration) []time.Duration {
	var out []time.Duration
	for range count {
		rtt, err := probe.Ping(context.Background(), nsutil.Path(ns), probe.Echo{Dst: netip.MustParseAddr(dst), Size: 56, Timeout: timeout, Tries: 1})
		if err == nil {
			out = append(out, rtt)
		}
	}
	return out
}

func minOf(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

// TestRootVMImpairNetem applies impairments to both ends of a veth pair
// between two namespaces on a kernel with netem, as up does to a
// container's link: the qdisc is what tc shows, a 50 ms delay on each end
// makes the round trip about 100 ms, 50% loss on one end loses about half
// the echoes, and removing the impairment gives the plain link back.
func TestRootVMImpairNetem(t *testing.T) {
	if testenv.RunInVM(t) {
		return
	}
	testenv.Require(t, "ip", "tc")
	if err := NetemAvailable(); err != nil {
		t.Fatalf("netem on Debian's kernel: %v", err)
	}
	a, b := testenv.Netns(t, "vm-imp-a"), testenv.Netns(t, "vm-imp-b")
	testenv.Run(t, "ip", "-n", a, "link", "add", "a0", "type", "veth", "peer", "name", "b0", "netns", b)
	for ns, link := range map[string]string{a: "a0", b: "b0"} {
		addr := "10.9.0.1/24"
		if link == "b0" {
			addr = "10.9.0.2/24"
		}
		testenv.Run(t, "ip", "-n", ns, "addr", "add", addr, "dev", link)
		testenv.Run(t, "ip", "-n", ns, "link", "set", link, "up")
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		if len(rtts(a, "10.9.0.2", 1, time.Second)) == 0 {
			return fmt.Errorf("10.9.0.2 does not answer on the plain link")
		}
		return nil
	})

	delay := Impairment{Delay: 50 * time.Millisecond}
	impairLink(t, a, "a0", delay)
	impairLink(t, b, "b0", delay)
	if q := testenv.Run(t, "tc", "-n", a, "qdisc", "show", "dev", "a0"); !strings.Contains(q, "netem") || !strings.Contains(q, "delay 50ms") {
		t.Errorf("tc qdisc show dev a0: want netem delay 50ms:\n%s", q)
	}
	got := rtts(a, "10.9.0.2", 5, 2*time.Second)
	if len(got) < 5 {
		t.Fatalf("%d of 5 echoes answered with a delay and no loss", len(got))
	}
	// Each direction waits 50 ms; emulation adds, never removes, time.
	if m := minOf(got); m < 100*time.Millisecond || m > 300*time.Millisecond {
		t.Errorf("round trip %s with 50 ms on each end, want about 100 ms", m)
	}

	impairLink(t, b, "b0", Impairment{})
	impairLink(t, a, "a0", Impairment{Loss: 50})
	const sent = 80
	got = rtts(a, "10.9.0.2", sent, 200*time.Millisecond)
	// Binomial(80, 0.5): mean 40, sd 4.5; 18..62 is beyond 4.8 sd.
	if n := len(got); n < 18 || n > 62 {
		t.Errorf("%d of %d echoes answered with 50%% loss on one end, want about half", n, sent)
	}

	impairLink(t, a, "a0", Impairment{})
	if q := testenv.Run(t, "tc", "-n", a, "qdisc", "show", "dev", "a0"); strings.Contains(q, "netem") {
		t.Errorf("netem left after the impairment went:\n%s", q)
	}
	if got := rtts(a, "10.9.0.2", 5, time.Second); len(got) != 5 || minOf(got) > 50*time.Millisecond {
		t.Errorf("plain link again: %d of 5 answered, round trips %v", len(got), got)
	}
}
