package nat

import (
	"os"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

func rootIPForward(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The root netns value is only read, never written: both directions are
// set in the throwaway netns, so whichever the root value is, one of them
// differs from it and a leak would show.
func TestRootIPForwardOnlyTargetNetns(t *testing.T) {
	testenv.Require(t, "ip")
	ns := testenv.Netns(t, "nat-fwd")
	path := nsutil.Path(ns)
	inNS := func() string {
		return strings.TrimSpace(testenv.Run(t, "ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward"))
	}
	root := rootIPForward(t)
	initial := inNS()

	old, err := SetIPForward(path, true)
	if err != nil {
		t.Fatal(err)
	}
	if old != initial {
		t.Errorf("SetIPForward(true) returned old %q, netns had %q", old, initial)
	}
	if got := inNS(); got != "1" {
		t.Errorf("after SetIPForward(true) the netns has %q", got)
	}
	if on, err := IPForward(path); err != nil || !on {
		t.Errorf("IPForward = %v, %v; want true", on, err)
	}
	if got := rootIPForward(t); got != root {
		t.Fatalf("root netns ip_forward changed from %q to %q", root, got)
	}

	old, err = SetIPForward(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if old != "1" {
		t.Errorf("SetIPForward(false) returned old %q, want 1", old)
	}
	if got := inNS(); got != "0" {
		t.Errorf("after SetIPForward(false) the netns has %q", got)
	}
	if on, err := IPForward(path); err != nil || on {
		t.Errorf("IPForward = %v, %v; want false", on, err)
	}
	if got := rootIPForward(t); got != root {
		t.Fatalf("root netns ip_forward changed from %q to %q", root, got)
	}

	// Restoring what `down` saved puts the netns back.
	if _, err := SetIPForward(path, initial == "1"); err != nil {
		t.Fatal(err)
	}
	if got := inNS(); got != initial {
		t.Errorf("restore: netns has %q, want %q", got, initial)
	}
}

func TestRootIPForwardMissingNetns(t *testing.T) {
	testenv.Require(t)
	if _, err := SetIPForward("/run/netns/ovslab-no-such-netns", true); err == nil {
		t.Error("SetIPForward on a missing netns succeeded")
	}
}
