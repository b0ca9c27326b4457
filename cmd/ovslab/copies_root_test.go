package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// Two copies of the reference lab, as two students would run them on one
// machine: same file, same addresses, names from --name.
const copyA, copyB = "cp-a", "cp-b"

func upCopy(t *testing.T, name string) {
	t.Helper()
	t.Cleanup(func() {
		if r := ovslab(t, "down", name); r.code != 0 {
			t.Logf("cleanup: down %s: %s", name, r)
		}
	})
	if r := ovslab(t, "up", "--emulate", "l3-vxlan", "--name", name); r.code != 0 {
		t.Fatalf("up --name %s: %s", name, r)
	}
}

func mustCheck(t *testing.T, lab string) {
	t.Helper()
	if r := ovslab(t, "check", lab); r.code != 0 {
		t.Errorf("check %s: %s", lab, r)
	}
}

// pingInBackground runs ping in a lab's container for as long as the test
// needs traffic; the returned func stops it.
func pingInBackground(t *testing.T, lab, node, addr string) func() {
	t.Helper()
	p := exec.Command(bin, "exec", lab, node, "--", "ping", "-c", "60", addr)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	return func() { _ = p.Process.Kill(); _ = p.Wait() }
}

func TestRootLabCopiesAndCapture(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip")
	testenv.RequireDocker(t)
	upCopy(t, copyA)
	upCopy(t, copyB)

	t.Run("names", func(t *testing.T) {
		ns := testenv.Run(t, "ip", "netns", "list")
		for _, want := range []string{"cp-a-host1", "cp-a-host2", "cp-b-host1", "cp-b-router"} {
			if !strings.Contains(ns, want) {
				t.Errorf("netns %s missing:\n%s", want, ns)
			}
		}
		ps := testenv.Run(t, "docker", "ps", "--format", "{{.Names}}", "--filter", "label=ovslab.lab="+copyB)
		got := strings.Fields(ps)
		if len(got) != 4 || !strings.Contains(ps, "cp-b-doc1") || !strings.Contains(ps, "cp-b-doc4") {
			t.Errorf("containers of %s: %q, want cp-b-doc1..cp-b-doc4", copyB, got)
		}
		// Node names still work, and the hostname is the node's.
		r := ovslab(t, "exec", copyA, "doc1", "--", "hostname")
		if r.code != 0 || strings.TrimSpace(r.stdout) != "doc1" {
			t.Errorf("exec %s doc1 hostname: %s", copyA, r)
		}
	})
	if r := ovslab(t, "graph", copyB, "--check"); r.code != 1 || !strings.Contains(r.stderr, "no check has run") {
		t.Errorf("graph --check before any check: %s; want exit 1 saying no check has run", r)
	}
	mustCheck(t, copyA)
	mustCheck(t, copyB)

	t.Run("graph", func(t *testing.T) {
		r := ovslab(t, "graph", copyA, "--check", "--format", "svg")
		if r.code != 0 {
			t.Fatalf("graph --check: %s", r)
		}
		texts, attrs, err := testenv.SVGText([]byte(r.stdout))
		if err != nil {
			t.Fatal(err)
		}
		// Every check passed: green everywhere a check went, no red or orange.
		if !strings.Contains(attrs, "#1b7837") || strings.Contains(attrs, "#c51b0a") || strings.Contains(attrs, "#e08214") {
			t.Errorf("after a green check the SVG should be green only; attributes: %s", attrs)
		}
		if !strings.Contains(texts, "lab cp-a, check of") || !strings.Contains(texts, "VXLAN 5000") {
			t.Errorf("SVG lacks the caption or the tunnel: %s", texts)
		}
	})

	t.Run("container", func(t *testing.T) {
		stop := pingInBackground(t, copyA, "doc1", "10.0.1.20")
		defer stop()
		file := filepath.Join(t.TempDir(), "doc1.pcap")
		if r := ovslab(t, "capture", copyA, "doc1", "-c", "4", "-w", file); r.code != 0 || !strings.Contains(r.stderr, "4 packets captured") {
			t.Fatalf("capture doc1: %s", r)
		}
		frames := readPcapFile(t, file)
		icmp := 0
		for _, f := range frames {
			if f.Proto == 1 && (f.Src.String() == "10.0.1.10" || f.Dst.String() == "10.0.1.10") {
				icmp++
			}
		}
		if len(frames) != 4 || icmp == 0 {
			t.Errorf("doc1's pcap: %d frames, %d of them ICMP to or from 10.0.1.10; want 4 with ICMP", len(frames), icmp)
		}
		tcpdumpSees(t, file, "ICMP echo")
	})

	t.Run("underlay", func(t *testing.T) {
		stop := pingInBackground(t, copyA, "doc1", "10.0.1.20")
		defer stop()
		// Through a pipe, as into tcpdump -r - or wireshark -k -i -.
		r := ovslab(t, "capture", copyA, "host1", "-c", "6")
		if r.code != 0 {
			t.Fatalf("capture host1: %s", r)
		}
		frames, err := testenv.ReadPcap([]byte(r.stdout))
		if err != nil {
			t.Fatal(err)
		}
		vxlan := 0
		for _, f := range frames {
			if f.VXLAN && f.VNI == 5000 && f.Inner.Proto == 1 {
				vxlan++
			}
		}
		if vxlan == 0 {
			t.Errorf("host1's underlay: no VXLAN frame with VNI 5000 carrying ICMP among %d frames", len(frames))
		}
		file := filepath.Join(t.TempDir(), "host1.pcap")
		if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
			t.Fatal(err)
		}
		tcpdumpSees(t, file, "vni 5000")
	})

	t.Run("interrupt", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "x.pcap")
		p := exec.Command(bin, "capture", copyB, "doc3:eth0", "-w", file)
		var stderr bytes.Buffer
		p.Stderr = &stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		testenv.Eventually(t, 10*time.Second, func() error {
			_, err := os.Stat(file)
			return err
		})
		start := time.Now()
		if err := p.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := p.Wait(); err != nil {
			t.Errorf("capture after SIGTERM: %v, want exit 0\n%s", err, stderr.String())
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("capture took %s to stop after SIGTERM, want under a second", d)
		}
		readPcapFile(t, file)
	})

	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{
			{"capture", copyA, "nosuch"},
			{"capture", copyA, "doc1:eth7"},
			{"capture", copyA, "router"},
			{"capture", copyA, "host1:nosuch0"},
			{"capture", "no-such-lab", "doc1"},
			{"up", "--emulate", "l3-vxlan", "--name", "Bad_Name"},
		} {
			if r := ovslab(t, args...); r.code != 2 || r.stderr == "" {
				t.Errorf("ovslab %s: %s; want exit 2 with a message", strings.Join(args, " "), r)
			}
		}
	})

	// One copy goes; the other is untouched and still works.
	if r := ovslab(t, "down", copyB); r.code != 0 {
		t.Fatalf("down %s: %s", copyB, r)
	}
	if ps := testenv.Run(t, "docker", "ps", "-aq", "--filter", "label=ovslab.lab="+copyB); strings.TrimSpace(ps) != "" {
		t.Errorf("containers of %s left after its down: %s", copyB, ps)
	}
	mustCheck(t, copyA)
}

func readPcapFile(t *testing.T, file string) []testenv.Frame {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	frames, err := testenv.ReadPcap(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return frames
}

// tcpdumpSees checks the file with a reader that is not ours.
func tcpdumpSees(t *testing.T, file, want string) {
	t.Helper()
	testenv.Require(t, "tcpdump")
	out := testenv.Run(t, "tcpdump", "-nr", file)
	if !strings.Contains(out, want) {
		t.Errorf("tcpdump -r %s does not show %q:\n%s", file, want, out)
	}
}
