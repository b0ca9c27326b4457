package labs

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

// catalogText is the topology file of built-in lab name.
func catalogText(t *testing.T, name string) string {
	t.Helper()
	data, ok := catalog.Get(name)
	if !ok {
		t.Fatalf("built-in lab %s missing", name)
	}
	return string(data)
}

// upCopy brings text up emulated as a copy named lab (up --name): Docker
// names are machine-wide, so the copy's containers are LAB-NODE and never
// meet those of a student's lab.
func upCopy(t *testing.T, text, lab string) {
	t.Helper()
	if err := Up(context.Background(), mustSource(t, text), UpOptions{Emulate: true, Name: lab}); err != nil {
		t.Fatalf("up --name %s: %v", lab, err)
	}
}

// checkReport runs `ovslab check` and returns its results by kind.
func checkReport(t *testing.T, lab string) *checkReportJSON {
	t.Helper()
	rep, err := runCheck(context.Background(), lab)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestRootCatalogExercises brings every exercise lab up as its README
// does (as a copy, up --name, so a student's lab is left alone), checks
// what the README promises, and takes it down.
func TestRootCatalogExercises(t *testing.T) {
	requireLabTools(t)
	testenv.Require(t, "tc")
	ctx := context.Background()
	run := func(name, lab string, body func(t *testing.T, text string)) {
		t.Run(name, func(t *testing.T) {
			cleanupLab(t, lab)
			text := catalogText(t, name)
			upCopy(t, text, lab)
			body(t, text)
			if err := Down(ctx, lab, DownOptions{}); err != nil {
				t.Fatalf("down: %v", err)
			}
			assertGone(t, lab)
		})
	}

	run("host-overlay", "kx-hostov", func(t *testing.T, _ string) {
		rep := checkReport(t, "kx-hostov")
		hostPorts := 0
		probed := map[string]bool{}
		for _, r := range rep.Results {
			if !r.OK {
				t.Errorf("check %s %s -> %s: %s", r.Kind, r.From, r.To, r.Detail)
			}
			if k := r.Kind + " " + r.From + " -> " + r.To; r.Kind != "expect" && probed[k] {
				t.Errorf("check probed %s twice", k)
			} else {
				probed[k] = true
			}
			if r.Kind == "ping" && (strings.Contains(r.To, "10.0.1.2)") || strings.Contains(r.To, "10.0.1.3)")) {
				hostPorts++
			}
		}
		// The linear sample reaches each host port once; host3, which has
		// no container, also gets the small ping of each pair of hosts its
		// full-size probe crosses (host1-host3; host2-host3 is the
		// sample's own).
		if hostPorts != 3 {
			t.Errorf("check probed host ports %d times, want 3", hostPorts)
		}
		if out, err := inHost("kx-hostov", "host3", "ping", "-c", "2", "-W", "2", "10.0.1.11"); err != nil {
			t.Errorf("host3 (no containers) ping c1 over the overlay: %v\n%s", err, out)
		}
	})

	run("vlan-tenants", "kx-vlan", func(t *testing.T, _ string) {
		requireChecksPass(t, "kx-vlan")
		if got := mustVsctl(t, "kx-vlan", "host1", "get", "port", "vblue1", "tag"); got != "20" {
			t.Errorf("vblue1 tag = %q, want 20", got)
		}
		red1 := containerPid(t, "kx-vlan-red1")
		mustReach(t, red1, "red1", "10.0.1.12")
		mustNotReach(t, red1, "red1", "10.0.1.21") // blue1, same bridge
		mustNotReach(t, red1, "red1", "10.0.1.22") // blue2, across the tunnel
		spy := containerPid(t, "kx-vlan-spy")
		mustNotReach(t, spy, "spy", "10.0.1.11")
		mustReach(t, spy, "spy", "10.0.1.32") // guest: the untagged segment, and spy's control address
	})

	run("mtu-broken", "kx-mtu", func(t *testing.T, text string) {
		// hints: symptoms: what is seen, not the fix the walkthrough asks
		// the student to find.
		pmtu, mtuExpect := 0, 0
		for _, r := range checkReport(t, "kx-mtu").Results {
			switch {
			case r.Kind == "pmtu":
				pmtu++
				if r.OK || r.Detail != "no reply to 1500-byte packets with Don't Fragment (3 tries)" {
					t.Errorf("pmtu %s -> %s before the fix: ok=%v %q; want a failure saying only what was seen", r.From, r.To, r.OK, r.Detail)
				}
			case r.Kind == "expect" && r.Want == "mtu: full":
				mtuExpect++
				if r.OK || strings.Contains(r.Detail+r.Message, "underlay.mtu") || !strings.Contains(r.Message, "full-size packets never reach doc3") {
					t.Errorf("expectation %s -> %s mtu: full before the fix: ok=%v, %q, message %q", r.From, r.To, r.OK, r.Detail, r.Message)
				}
			case !r.OK:
				t.Errorf("check %s %s -> %s failed before the fix: %s (only the MTU should)", r.Kind, r.From, r.To, r.Detail)
			}
		}
		if pmtu == 0 || mtuExpect != 1 {
			t.Fatalf("check ran %d pmtu probes and %d mtu expectations, want some and 1", pmtu, mtuExpect)
		}
		ctrs := []string{"kx-mtu-doc1", "kx-mtu-doc2", "kx-mtu-doc3", "kx-mtu-doc4"}
		before := containerIDs(t, ctrs...)
		upCopy(t, edit(t, text, "mtu: 1500", "mtu: 1554"), "kx-mtu") // fix A: raise the underlay
		requireChecksPass(t, "kx-mtu")
		sameExcept(t, "container", before, containerIDs(t, ctrs...), nil)
		// Fix B, from the broken file: every interface at 1450 fits VXLAN
		// in a 1500-byte underlay, and mtu: full grades 1450 bytes.
		fixB := regexp.MustCompile(`(address: 10\.0\.[12]\.[0-9]+)}`).ReplaceAllString(text, "$1, mtu: 1450}")
		if strings.Count(fixB, "mtu: 1450") != 4 {
			t.Fatalf("fix B set mtu on %d interfaces, want 4:\n%s", strings.Count(fixB, "mtu: 1450"), fixB)
		}
		upCopy(t, fixB, "kx-mtu")
		requireChecksPass(t, "kx-mtu")
		sameExcept(t, "container", before, containerIDs(t, ctrs...), nil)
	})

	run("impaired-wan", "kx-wan", func(t *testing.T, _ string) {
		requireChecksPass(t, "kx-wan")
		h, c := qdiscOf(t, "kx-wan", "site-a", "vclient", "kx-wan-client", "eth0")
		for _, out := range []string{h, c} {
			if !strings.Contains(out, "tbf") || !strings.Contains(out, "rate 10Mbit") {
				t.Errorf("tc qdisc show: %q, want tbf rate 10Mbit", out)
			}
		}
		server, client := containerPid(t, "kx-wan-server"), containerPid(t, "kx-wan-client")
		bps := iperf(t, []string{"nsenter", "-t", server, "-n"}, client, "10.0.1.20")
		t.Logf("iperf3 through the 10mbit link: %.1f Mbit/s", bps/1e6)
		if bps < 5e6 || bps > 11e6 {
			t.Errorf("iperf3 through a 10mbit tbf: %.1f Mbit/s, want about 10", bps/1e6)
		}
	})

	run("names", "kx-names", func(t *testing.T, _ string) {
		requireChecksPass(t, "kx-names")
		mustPingName(t, "kx-names-web", "app", "10.0.1.21")
		mustPingName(t, "kx-names-web", "app.back", "10.0.2.21")
		mustPingName(t, "kx-names-app", "db", "10.0.2.30")
		// client resolves db but has no way to it: the lesson of step 2.
		if out, err := dockerPing("kx-names-client", "db"); err == nil || !strings.Contains(out, "10.0.2.30") {
			t.Errorf("client ping db: %v, want the name resolved and no reply:\n%s", err, out)
		}
	})
}
