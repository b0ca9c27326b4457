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
	const dockerJump = "-A FORWARD -j DOCKER-FORWARD"
	tests := []struct {
		name     string
		drift    func(t *testing.T, ns string)
		rules    []Rule
		post     []string // POSTROUTING before the user's rule
		fwd      []string // all of FORWARD
		chain    []string // the lab's chain; nil: it must not exist
		noChange bool
	}{{
		name: "masquerade deleted by hand",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-t nat -D POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:nat-test -j MASQUERADE")...)
		},
		rules: refRules(), post: refPost, fwd: []string{userFwd, refJump}, chain: refChain,
	}, {
		name: "a rule of the lab's chain deleted by hand",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-D "+strings.TrimPrefix(refChain[2], "-A "))...)
		},
		rules: refRules(), post: refPost, fwd: []string{userFwd, refJump}, chain: refChain,
	}, {
		name: "FORWARD flushed",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, "-F", "FORWARD")
		},
		rules: refRules(), post: refPost, fwd: []string{refJump}, chain: refChain,
	}, {
		name: "the lab's chain deleted",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-D "+strings.TrimPrefix(refJump, "-A "))...)
			iptNS(t, ns, "-F", labChain)
			iptNS(t, ns, "-X", labChain)
		},
		rules: refRules(), post: refPost, fwd: []string{userFwd, refJump}, chain: refChain,
	}, {
		name: "the lab's jump moved to the top",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-D "+strings.TrimPrefix(refJump, "-A "))...)
			iptNS(t, ns, strings.Fields("-I FORWARD 1 "+strings.TrimPrefix(refJump, "-A FORWARD "))...)
			iptNS(t, ns, "-N", "DOCKER-USER")
			iptNS(t, ns, "-I", "FORWARD", "2", "-j", "DOCKER-USER")
		},
		rules: refRules(), post: refPost, fwd: []string{"-A FORWARD -j DOCKER-USER", userFwd, refJump}, chain: refChain,
	}, {
		name: "a rule added on top (as Docker does) leaves the lab below it",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-I FORWARD 1 -s 192.168.98.0/24 -j DROP")...)
		},
		rules: refRules(), post: refPost,
		fwd:      []string{"-A FORWARD -s 192.168.98.0/24 -j DROP", userFwd, refJump},
		chain:    refChain,
		noChange: true,
	}, {
		name: "an admin's rule appended below the lab's jump stays below it",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-A FORWARD -d 10.66.0.0/16 -j DROP")...)
		},
		rules: refRules(), post: refPost,
		fwd:      []string{userFwd, refJump, "-A FORWARD -d 10.66.0.0/16 -j DROP"},
		chain:    refChain,
		noChange: true,
	}, {
		name: "Docker's chain jumped to after the lab's: the lab's jump goes below it",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, "-N", "DOCKER-FORWARD")
			iptNS(t, ns, strings.Fields(dockerJump)...)
		},
		rules: refRules(), post: refPost, fwd: []string{userFwd, dockerJump, refJump}, chain: refChain,
	}, {
		name: "duplicate lab rule",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-t nat -A POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:nat-test -j MASQUERADE")...)
		},
		rules: refRules(), post: refPost, fwd: []string{userFwd, refJump}, chain: refChain,
	}, {
		name: "duplicate jump",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields(refJump)...)
		},
		rules: refRules(), post: refPost, fwd: []string{userFwd, refJump}, chain: refChain,
	}, {
		name: "an older ovslab's accepts at the top of FORWARD",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-I FORWARD 1 -i net1 -m comment --comment ovslab:nat-test -j ACCEPT")...)
		},
		rules: refRules(), post: refPost, fwd: []string{userFwd, refJump}, chain: refChain,
	}, {
		name:  "fewer rules",
		rules: MasqueradeRules(net1, nil, "net1"),
		post:  refPost[1:4],
		fwd:   []string{userFwd, refJump},
		chain: refChain[:2],
	}, {
		name:  "nothing wanted",
		rules: nil,
		fwd:   []string{userFwd},
	}, {
		name: "another lab's rule on top is fine",
		drift: func(t *testing.T, ns string) {
			iptNS(t, ns, strings.Fields("-t nat -I POSTROUTING 1 -s 10.7.0.0/16 -m comment --comment ovslab:other -j MASQUERADE")...)
		},
		rules:    refRules(),
		post:     append([]string{"-A POSTROUTING -s 10.7.0.0/16 -m comment --comment ovslab:other -j MASQUERADE"}, refPost...),
		fwd:      []string{userFwd, refJump},
		chain:    refChain,
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
			wantChain(t, ns, "filter", "FORWARD", tc.fwd...)
			if tc.chain != nil {
				wantChain(t, ns, "filter", labChain, tc.chain...)
			} else {
				noChain(t, ns)
			}
			if ok, err := Converged(path, lab, tc.rules); err != nil || !ok {
				t.Errorf("Converged = %v, %v after Ensure", ok, err)
			}
		})
	}
}
