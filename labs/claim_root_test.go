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
// refuse it by name, and its down must leave the first lab alone.
func TestRootNetnsOfAnotherLabIsRefused(t *testing.T) {
	requireLabTools(t)
	ctx := context.Background()
	cleanupLab(t, "cla")
	cleanupLab(t, "cla-b")
	if err := Up(ctx, oneHostLab(t, "cla", "b-h1"), UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up cla: %v", err)
	}
	err := Up(ctx, oneHostLab(t, "cla-b", "h1"), UpOptions{Emulate: true})
	if err == nil || !strings.Contains(err.Error(), "netns cla-b-h1 exists and was not made by lab cla-b") {
		t.Fatalf("up cla-b: err = %v, want a refusal naming netns cla-b-h1", err)
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
