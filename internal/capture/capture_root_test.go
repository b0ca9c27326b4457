package capture

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// vethPair makes two throwaway namespaces joined by a veth, 10.99.0.1/24
// in a on "cpa" and 10.99.0.2/24 in b on "cpb", and returns their names.
func vethPair(t *testing.T) (a, b string) {
	t.Helper()
	testenv.Require(t, "ip", "ping")
	a, b = testenv.Netns(t, "cpcap-a"), testenv.Netns(t, "cpcap-b")
	testenv.Run(t, "ip", "-n", a, "link", "add", "cpa", "type", "veth", "peer", "name", "cpb", "netns", b)
	testenv.Run(t, "ip", "-n", a, "addr", "add", "10.99.0.1/24", "dev", "cpa")
	testenv.Run(t, "ip", "-n", b, "addr", "add", "10.99.0.2/24", "dev", "cpb")
	testenv.Run(t, "ip", "-n", a, "link", "set", "cpa", "up")
	testenv.Run(t, "ip", "-n", b, "link", "set", "cpb", "up")
	return a, b
}

func TestRootCaptureICMPAcrossVeth(t *testing.T) {
	a, b := vethPair(t)
	defer testenv.Background(func() bool {
		_ = exec.Command("ip", "netns", "exec", a, "ping", "-c1", "-W1", "10.99.0.2").Run()
		return true
	})()

	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	// Captured in b, on the peer of the pinging end: the socket must be in
	// b's namespace, where cpa does not exist.
	n, err := Run(ctx, Spec{Netns: "/run/netns/" + b, Iface: "cpb", Count: 6}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if n != 6 {
		t.Fatalf("captured %d frames, want 6", n)
	}
	frames, err := testenv.ReadPcap(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 6 {
		t.Fatalf("pcap holds %d frames, Run said 6", len(frames))
	}
	end := time.Now()
	var req, rep int
	for i, f := range frames {
		// The kernel's timestamps, microseconds in the file: in order and
		// within the capture.
		if f.Time.Before(start.Truncate(time.Microsecond)) || f.Time.After(end) || (i > 0 && f.Time.Before(frames[i-1].Time)) {
			t.Errorf("frame %d at %s, outside the capture %s..%s or before its predecessor", i, f.Time, start, end)
		}
		if f.Proto == 1 && f.ICMPType == 8 && f.Dst.String() == "10.99.0.2" {
			req++
		}
		if f.Proto == 1 && f.ICMPType == 0 && f.Src.String() == "10.99.0.2" {
			rep++
		}
	}
	// Both directions: what the interface receives and what it sends.
	if req == 0 || rep == 0 {
		t.Errorf("want echo requests and replies, got %d and %d of %d frames", req, rep, len(frames))
	}
	if _, err := exec.LookPath("tcpdump"); err == nil {
		p := filepath.Join(t.TempDir(), "x.pcap")
		if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		txt := testenv.Run(t, "tcpdump", "-nr", p)
		if !strings.Contains(txt, "ICMP echo request") || !strings.Contains(txt, "ICMP echo reply") {
			t.Errorf("tcpdump -r does not see the pings:\n%s", txt)
		}
	}
}

func TestRootCaptureStopsOnCancel(t *testing.T) {
	_, b := vethPair(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out bytes.Buffer
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, Spec{Netns: "/run/netns/" + b, Iface: "cpb"}, &out)
		done <- err
	}()
	// A capture in progress, blocked on a quiet interface: its socket is
	// listed in the namespace's packet sockets (OVS has none here).
	testenv.Eventually(t, 5*time.Second, func() error {
		out := testenv.Run(t, "ip", "netns", "exec", b, "cat", "/proc/net/packet")
		if strings.Count(strings.TrimSpace(out), "\n") < 1 {
			return errors.New("no packet socket in " + b + " yet")
		}
		return nil
	})
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("stopped %s after cancel, want within a second", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not return 3s after its context was cancelled")
	}
	if frames, err := testenv.ReadPcap(out.Bytes()); err != nil {
		t.Errorf("pcap after cancel: %v (%d frames)", err, len(frames))
	}
}

func TestRootCaptureNoInterface(t *testing.T) {
	_, b := vethPair(t)
	_, err := Run(context.Background(), Spec{Netns: "/run/netns/" + b, Iface: "cpa"}, &bytes.Buffer{})
	if !errors.Is(err, ErrNoInterface) || !strings.Contains(err.Error(), "cpa") {
		t.Errorf("capture of an interface of another netns: %v, want ErrNoInterface naming cpa", err)
	}
}
