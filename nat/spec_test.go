package nat

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		name, line, chain, comment string
		args, spec                 []string
	}{
		{
			name:    "nft quotes the comment",
			line:    `-A POSTROUTING -s 10.0.1.0/24 -d 10.0.2.0/24 -m comment --comment "ovslab:l3-vxlan" -j RETURN`,
			chain:   "POSTROUTING",
			comment: "ovslab:l3-vxlan",
			args:    []string{"-s", "10.0.1.0/24", "-d", "10.0.2.0/24", "-m", "comment", "--comment", "ovslab:l3-vxlan", "-j", "RETURN"},
			spec:    []string{"-s", "10.0.1.0/24", "-d", "10.0.2.0/24", "-j", "RETURN"},
		},
		{
			name:    "old legacy leaves it bare",
			line:    `-A POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:x -j MASQUERADE`,
			chain:   "POSTROUTING",
			comment: "ovslab:x",
			args:    []string{"-s", "10.0.1.0/24", "-m", "comment", "--comment", "ovslab:x", "-j", "MASQUERADE"},
			spec:    []string{"-s", "10.0.1.0/24", "-j", "MASQUERADE"},
		},
		{
			name:    "escaped quote and backslash",
			line:    `-A FORWARD -m comment --comment "a \"b\\ c" -j ACCEPT`,
			chain:   "FORWARD",
			comment: `a "b\ c`,
			args:    []string{"-m", "comment", "--comment", `a "b\ c`, "-j", "ACCEPT"},
			spec:    []string{"-j", "ACCEPT"},
		},
		{
			name:  "no comment",
			line:  `-A FORWARD -s 10.0.0.5/32 -p tcp -m tcp --dport 80 -j ACCEPT`,
			chain: "FORWARD",
			args:  []string{"-s", "10.0.0.5/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "ACCEPT"},
			spec:  []string{"-s", "10.0.0.5/32", "-p", "tcp", "-m", "tcp", "--dport", "80", "-j", "ACCEPT"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain, e, ok := parseRule(tc.line)
			if !ok || chain != tc.chain || e.comment != tc.comment ||
				!slices.Equal(e.args, tc.args) || !slices.Equal(e.spec, tc.spec) {
				t.Errorf("parseRule(%q) = %q, %+v, %v", tc.line, chain, e, ok)
			}
		})
	}
	for _, line := range []string{"-P FORWARD ACCEPT", "-N DOCKER", "# Warning: iptables-legacy tables present", ""} {
		if _, _, ok := parseRule(line); ok {
			t.Errorf("parseRule(%q) took a non-rule line for a rule", line)
		}
	}
}

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-s 10.0.1.5/24 -j MASQUERADE", "-s 10.0.1.0/24 -j MASQUERADE"},
		{"--source 10.0.0.5 --destination 10.0.2.0/24 --jump RETURN", "-s 10.0.0.5/32 -d 10.0.2.0/24 -j RETURN"},
		{"--in-interface net1 -m comment --comment ovslab:x -j ACCEPT", "-i net1 -j ACCEPT"},
		{"! -s 10.0.0.0/8 -o eth0 -j ACCEPT", "! -s 10.0.0.0/8 -o eth0 -j ACCEPT"},
		{"-s 10.0.0.0/255.0.0.0 -j ACCEPT", "-s 10.0.0.0/255.0.0.0 -j ACCEPT"},
	}
	for _, tc := range tests {
		if got := strings.Join(canonical(strings.Fields(tc.in)), " "); got != tc.want {
			t.Errorf("canonical(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWithComment(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-s 10.0.1.0/24 -j MASQUERADE", "-s 10.0.1.0/24 -m comment --comment ovslab:x -j MASQUERADE"},
		{"-o net1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
			"-o net1 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ovslab:x -j ACCEPT"},
		{"-s 10.0.1.0/24", "-s 10.0.1.0/24 -m comment --comment ovslab:x"},
	}
	for _, tc := range tests {
		in := strings.Fields(tc.in)
		if got := strings.Join(withComment(in, "ovslab:x"), " "); got != tc.want {
			t.Errorf("withComment(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if strings.Join(in, " ") != tc.in {
			t.Errorf("withComment modified its input: %q", in)
		}
	}
}

func TestInPlace(t *testing.T) {
	e := func(comment, spec string) entry { return entry{comment: comment, spec: strings.Fields(spec)} }
	a1, a2 := "-s 10.0.1.0/24 -j MASQUERADE", "-s 10.0.2.0/24 -j MASQUERADE"
	want := [][]string{strings.Fields(a1), strings.Fields(a2)}
	tests := []struct {
		name    string
		entries []entry
		want    [][]string
		ok      bool
	}{
		{"exact at top", []entry{e("ovslab:a", a1), e("ovslab:a", a2), e("", "-j DOCKER")}, want, true},
		{"below another lab", []entry{e("ovslab:b", a1), e("ovslab:a", a1), e("ovslab:a", a2)}, want, true},
		{"below a user rule", []entry{e("", "-j DOCKER"), e("ovslab:a", a1), e("ovslab:a", a2)}, want, false},
		{"split by a user rule", []entry{e("ovslab:a", a1), e("user", a1), e("ovslab:a", a2)}, want, false},
		{"wrong order", []entry{e("ovslab:a", a2), e("ovslab:a", a1)}, want, false},
		{"missing one", []entry{e("ovslab:a", a1)}, want, false},
		{"duplicate", []entry{e("ovslab:a", a1), e("ovslab:a", a2), e("ovslab:a", a2)}, want, false},
		{"leftover", []entry{e("", "-j DOCKER"), e("ovslab:a", a1)}, nil, false},
		{"nothing wanted, nothing there", []entry{e("", "-j DOCKER"), e("ovslab:b", a1)}, nil, true},
		{"empty chain", nil, want, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := inPlace(tc.entries, "ovslab:a", tc.want); got != tc.ok {
				t.Errorf("inPlace = %v, want %v", got, tc.ok)
			}
		})
	}
}

func TestMasqueradeRules(t *testing.T) {
	got := MasqueradeRules(netip.MustParsePrefix("10.0.1.7/24"),
		[]netip.Prefix{
			netip.MustParsePrefix("10.0.2.0/24"),
			netip.MustParsePrefix("10.0.2.9/24"), // same subnet once masked
			netip.MustParsePrefix("fd00::/64"),   // not IPv4: iptables could not match it
			netip.MustParsePrefix("10.0.3.0/24"),
		}, "net1")
	want := []string{
		"nat POSTROUTING -s 10.0.1.0/24 -d 10.0.2.0/24 -j RETURN",
		"nat POSTROUTING -s 10.0.1.0/24 -d 10.0.3.0/24 -j RETURN",
		"nat POSTROUTING -s 10.0.1.0/24 -d 10.0.1.0/24 -j RETURN", // its own subnet, even when not excluded
		"nat POSTROUTING -s 10.0.1.0/24 -o net1 -j RETURN",
		"nat POSTROUTING -s 10.0.1.0/24 -j MASQUERADE",
		"filter @lab -i net1 -j ACCEPT",
		"filter @lab -o net1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
	}
	var s []string
	for _, r := range got {
		s = append(s, r.String())
	}
	if !slices.Equal(s, want) {
		t.Errorf("MasqueradeRules =\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
}

// Bad input is refused before any netns or iptables is touched, so these
// run anywhere; the path does not even exist.
func TestEnsureRefusesBadInput(t *testing.T) {
	ok := Rule{Table: "nat", Chain: "POSTROUTING", Spec: []string{"-j", "MASQUERADE"}}
	tests := []struct {
		name  string
		lab   string
		rules []Rule
	}{
		{"empty lab", "", []Rule{ok}},
		{"lab with space", "a b", []Rule{ok}},
		{"lab with quote", `a"b`, []Rule{ok}},
		{"other table", "l", []Rule{{Table: "mangle", Chain: "PREROUTING", Spec: []string{"-j", "ACCEPT"}}}},
		{"no chain", "l", []Rule{{Table: "nat", Spec: []string{"-j", "ACCEPT"}}}},
		{"empty spec", "l", []Rule{{Table: "nat", Chain: "POSTROUTING"}}},
		{"own comment", "l", []Rule{{Table: "nat", Chain: "POSTROUTING",
			Spec: []string{"-m", "comment", "--comment", "mine", "-j", "MASQUERADE"}}}},
		{"lab chain in nat", "l", []Rule{{Table: "nat", Chain: LabChain, Spec: []string{"-j", "ACCEPT"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := Ensure("/nonexistent/netns", tc.lab, tc.rules); !errors.Is(err, ErrInvalid) {
				t.Errorf("Ensure: %v, want ErrInvalid", err)
			}
		})
	}
	if err := Delete("/nonexistent/netns", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("Delete with empty lab: %v, want ErrInvalid", err)
	}
}

func TestChainName(t *testing.T) {
	long := strings.Repeat("a", 12) + "-class-student-name"
	for _, tc := range []struct{ lab, want string }{
		{"l3-vxlan", "OVSLAB-l3-vxlan"},
		{"abcdefghijklmnopqrstu", "OVSLAB-abcdefghijklmnopqrstu"}, // 28: fits
	} {
		if got := ChainName(tc.lab); got != tc.want {
			t.Errorf("ChainName(%q) = %q, want %q", tc.lab, got, tc.want)
		}
	}
	a, b := ChainName(long), ChainName(long+"x")
	if len(a) > maxChain || len(b) > maxChain || a == b || !strings.HasPrefix(a, "OVSLAB-aaaaaaaaaaaa-") {
		t.Errorf("long names: %q and %q, want distinct, at most %d bytes, starting with the name", a, b, maxChain)
	}
}

func TestJumpInPlace(t *testing.T) {
	e := func(comment, spec string) entry { return entry{comment: comment, spec: strings.Fields(spec)} }
	jump := e("ovslab:a", "-j OVSLAB-a")
	tests := []struct {
		name    string
		forward []entry
		ok      bool
	}{
		{"last", []entry{e("", "-j DOCKER-USER"), e("", "-j DOCKER-FORWARD"), jump}, true},
		{"admin rules below it stay below", []entry{e("", "-j DOCKER-USER"), jump, e("", "-d 10.1.0.0/16 -j DROP")}, true},
		{"above DOCKER-USER", []entry{jump, e("", "-j DOCKER-USER")}, false},
		{"above Docker's isolation", []entry{e("", "-j DOCKER-USER"), jump, e("", "-j DOCKER-ISOLATION-STAGE-1")}, false},
		{"missing", []entry{e("", "-j DOCKER-USER")}, false},
		{"twice", []entry{jump, jump}, false},
		{"another lab's", []entry{e("ovslab:b", "-j OVSLAB-a")}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := jumpInPlace(tc.forward, "ovslab:a", "OVSLAB-a"); got != tc.ok {
				t.Errorf("jumpInPlace = %v, want %v", got, tc.ok)
			}
		})
	}
}
