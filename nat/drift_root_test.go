package nat

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// TestRootIptablesDrift starts from the reference lab's rules, changes them
// by hand the way a user, Docker or another lab might, and checks that
// Ensure notices (Converged) and restores exactly the wanted rules, leaving
// everything else alone. Helpers and expectations are in rules_root_test.go.
func TestRootIptablesDrift(t *testing.T) {
	net1 := netip.MustParsePrefix("10.0.1.0/24")
	tests := []struct {
		name     string
		drift    func(t *testing.T, ns string)
		rules    []Rule
		post     []string
		fwd      []string
		noChange bool
	}{{
		name: "masquerade deleted by hand",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-t nat -D POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:nat-test -j MASQUERADE")...)
		},
		rules: refRules(), post: refPost, fwd: refFwd,
	}, {
		name: "lab rule moved below a user rule",
		drift: func(t *testing.T, ns string) {
			r := "FORWARD -i net1 -m comment --comment ovslab:nat-test -j ACCEPT"
			iptNS(t, ns, strings.Fields("-D "+r)...)
			iptNS(t, ns, strings.Fields("-A "+r)...)
		},
		rules: refRules(), post: refPost, fwd: refFwd,
	}, {
		name: "user rule inserted on top (as Docker does)",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-I FORWARD 1 -s 192.168.98.0/24 -j DROP")...)
		},
		rules: refRules(), post: refPost,
		fwd: append(slices.Clone(refFwd), "-A FORWARD -s 192.168.98.0/24 -j DROP"),
	}, {
		name: "duplicate lab rule",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-t nat -A POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:nat-test -j MASQUERADE")...)
		},
		rules: refRules(), post: refPost, fwd: refFwd,
	}, {
		name:  "fewer rules",
		rules: MasqueradeRules(net1, nil, "net1"),
		post:  []string{refPost[1]},
		fwd:   refFwd[:2],
	}, {
		name:  "nothing wanted",
		rules: nil,
	}, {
		name: "another lab's rule on top is fine",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-t nat -I POSTROUTING 1 -s 10.7.0.0/16 -m comment --comment ovslab:other -j MASQUERADE")...)
		},
		rules:    refRules(),
		post:     append([]string{"-A POSTROUTING -s 10.7.0.0/16 -m comment --comment ovslab:other -j MASQUERADE"}, refPost...),
		fwd:      refFwd,
		noChange: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, path := newNS(t)
			ensure(t, path, refRules())
			if tc.drift != nil {
				tc.drift(t, ns)
			}
			converged, err := Converged(path, lab, tc.rules)
			if err != nil {
				t.Fatal(err)
			}
			if converged != tc.noChange {
				t.Errorf("Converged = %v before Ensure, want %v", converged, tc.noChange)
			}
			ensure(t, path, tc.rules)
			wantChain(t, ns, "nat", "POSTROUTING", append(slices.Clone(tc.post), userPost)...)
			wantChain(t, ns, "filter", "FORWARD", append(slices.Clone(tc.fwd), userFwd)...)
			if ok, err := Converged(path, lab, tc.rules); err != nil || !ok {
				t.Errorf("Converged = %v, %v after Ensure", ok, err)
			}
		})
	}
}
