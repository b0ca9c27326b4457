package labs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// oneHostLab is a lab with one host and one network, no containers.
func oneHostLab(t *testing.T, lab, host string) *Source {
	t.Helper()
	src, err := sourceFromData("builtin:"+lab, []byte(fmt.Sprintf(`name: %s
hosts:
  %s: {underlay: 172.16.30.100/24, gateway: 172.16.30.1}
networks:
  n1: {subnet: 10.9.1.0/24, vni: 900, gateway: {host: %s}}
`, lab, host, host)))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestRootNetnsOfAnotherLabIsRefused: lab "cla" with host "b-h1" and lab
// "cla-b" with host "h1" both want netns cla-b-h1. The second up must
// refuse it by name, before it changes anything on the machine, and its
// down must leave the first lab alone.
func TestRootNetnsOfAnotherLabIsRefused(t *testing.T) {
	requireLabTools(t)
	ctx := context.Background()
	cleanupLab(t, "cla")
	cleanupLab(t, "cla-b")
	if err := Up(ctx, oneHostLab(t, "cla", "b-h1"), UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up cla: %v", err)
	}
	// The refused lab leaves the machine's neighbour limits as it found
	// them, even when it would have had to raise them.
	keepNeighLimits(t)
	refused := oneHostLab(t, "cla-b", "h1")
	tight := tightenNeighLimits(t, neighNeed(refused.Topo, func(string) bool { return true }))
	err := Up(ctx, refused, UpOptions{Emulate: true})
	if err == nil || !strings.Contains(err.Error(), "netns cla-b-h1 exists and was not made by lab cla-b") {
		t.Fatalf("up cla-b: err = %v, want a refusal naming netns cla-b-h1", err)
	}
	if got, err := readNeighLimits(); err != nil || got != tight {
		t.Errorf("refused up left the neighbour limits at %v (%v), want the %v it found", got, err, tight)
	}
	if nsutil.Exists("cla-b-router") {
		t.Error("refused up still made netns cla-b-router")
	}
	if names, _ := Labs(); slices.Contains(names, "cla-b") {
		t.Error("refused up left lab cla-b behind in /run/ovslab")
	}
	if err := Down(ctx, "cla-b", DownOptions{}); err != nil {
		t.Fatalf("down cla-b: %v", err)
	}
	for _, n := range []string{"cla-b-h1", "cla-router", "cla-wan"} {
		if !nsutil.Exists(n) {
			t.Errorf("down cla-b removed lab cla's netns %s", n)
		}
	}
	st, err := GetStatus(ctx, "cla", StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Hosts[0].OK() {
		t.Errorf("lab cla broken after up/down of cla-b: %+v", st.Hosts[0])
	}
}

// labOfHosts is a lab of emulated hosts, no containers.
func labOfHosts(t *testing.T, lab string, hosts ...string) *Source {
	t.Helper()
	y := "name: " + lab + "\nhosts:\n"
	for i, h := range hosts {
		y += fmt.Sprintf("  %s: {underlay: 172.16.30.%d/24, gateway: 172.16.30.1}\n", h, 100+i)
	}
	y += fmt.Sprintf("networks:\n  n1: {subnet: 10.9.1.0/24, vni: 900, gateway: {host: %s}}\n", hosts[0])
	src, err := sourceFromData("builtin:"+lab, []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// requireLabOK fails unless every host of lab is up and its daemons answer.
func requireLabOK(t *testing.T, lab string, netns ...string) {
	t.Helper()
	for _, n := range netns {
		if !nsutil.Exists(n) {
			t.Errorf("netns %s of lab %s is gone", n, lab)
		}
	}
	st, err := GetStatus(context.Background(), lab, StatusOptions{})
	if err != nil {
		t.Fatalf("status %s: %v", lab, err)
	}
	for _, h := range st.Hosts {
		if !h.OK() {
			t.Errorf("lab %s host %s broken: %+v", lab, h.Name, h)
		}
	}
}

// TestRootCollidingLabsTornDownInBothOrders: lab "clc-b" (host h1) is up;
// lab "clc", already up with host a1, is re-upped with host "b-h1", whose
// netns would be clc-b-h1. The up is refused without recording b-h1, and
// down of either lab, in either order, leaves the other's namespaces and
// OVS daemons running. A state that names the other's netns anyway (an
// older ovslab, a hand edit) does not make down stop or delete it: only
// what carries the lab's mark is touched.
func TestRootCollidingLabsTornDownInBothOrders(t *testing.T) {
	requireLabTools(t)
	ctx := context.Background()
	for _, first := range []string{"clc", "clc-b"} {
		t.Run("down "+first+" first", func(t *testing.T) {
			cleanupLab(t, "clc")
			cleanupLab(t, "clc-b")
			if err := Up(ctx, labOfHosts(t, "clc-b", "h1"), UpOptions{Emulate: true}); err != nil {
				t.Fatalf("up clc-b: %v", err)
			}
			if err := Up(ctx, labOfHosts(t, "clc", "a1"), UpOptions{Emulate: true}); err != nil {
				t.Fatalf("up clc: %v", err)
			}
			err := Up(ctx, labOfHosts(t, "clc", "a1", "b-h1"), UpOptions{Emulate: true})
			if err == nil || !strings.Contains(err.Error(), "netns clc-b-h1 exists and was not made by lab clc") {
				t.Fatalf("re-up clc with b-h1: err = %v, want a refusal naming netns clc-b-h1", err)
			}
			st, err := LoadState("clc")
			if err != nil {
				t.Fatal(err)
			}
			if slices.Contains(st.Hosts, "b-h1") || slices.Contains(st.Netns, "clc-b-h1") {
				t.Errorf("refused up recorded host b-h1: hosts %v, netns %v", st.Hosts, st.Netns)
			}
			requireLabOK(t, "clc-b", "clc-b-h1")
			if first == "clc-b" {
				if err := Down(ctx, "clc-b", DownOptions{}); err != nil {
					t.Fatalf("down clc-b: %v", err)
				}
				requireLabOK(t, "clc", "clc-a1", "clc-router")
				return
			}
			// As an older up recorded it: the host and its netns in clc's state.
			st.Hosts, st.Netns = append(st.Hosts, "b-h1"), append(st.Netns, "clc-b-h1")
			if err := st.Save(); err != nil {
				t.Fatal(err)
			}
			if err := Down(ctx, "clc", DownOptions{}); err != nil {
				t.Fatalf("down clc: %v", err)
			}
			requireLabOK(t, "clc-b", "clc-b-h1", "clc-b-router")
		})
	}
}
