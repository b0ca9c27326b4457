package trace

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/nat"
)

func chainsOf(table string, policy map[string]string, rules ...string) map[nat.ChainRef]*nat.Chain {
	out := map[nat.ChainRef]*nat.Chain{}
	get := func(name string) *nat.Chain {
		k := nat.ChainRef{Table: table, Chain: name}
		if out[k] == nil {
			out[k] = &nat.Chain{Table: table, Name: name, Policy: policy[name]}
		}
		return out[k]
	}
	for name := range policy {
		get(name)
	}
	for _, r := range rules {
		f := strings.Fields(r)
		c := get(f[1])
		c.Rules = append(c.Rules, f[2:])
	}
	return out
}

func TestWalkChain(t *testing.T) {
	a := netip.MustParseAddr
	req := flow{src: a("10.0.1.20"), dst: a("198.51.100.1"), proto: "icmp", in: "net1", out: "br-phy"}
	rep := flow{src: a("198.51.100.1"), dst: a("10.0.1.20"), proto: "icmp", in: "br-phy", out: "net1", reply: true, icmpReply: true}
	udp := flow{src: a("10.0.1.20"), dst: a("10.0.2.20"), proto: "udp", dport: 53, in: "net1", out: "net2"}
	lab := []string{
		"-A FORWARD -j DOCKER-USER",
		"-A FORWARD -j OVSLAB-l",
		"-A DOCKER-USER -j RETURN",
		"-A OVSLAB-l -i net1 -m comment --comment ovslab:l -j ACCEPT",
		"-A OVSLAB-l -o net1 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ovslab:l -j ACCEPT",
	}
	drop := map[string]string{"FORWARD": "DROP"}
	for _, tc := range []struct {
		name   string
		chains map[nat.ChainRef]*nat.Chain
		f      flow
		target string
		rule   string
		unsure bool
	}{
		{"jump to the lab's chain accepts", chainsOf("filter", drop, lab...), req, "ACCEPT", "-A OVSLAB-l -i net1 -m comment --comment ovslab:l -j ACCEPT", false},
		{"a reply is ESTABLISHED", chainsOf("filter", drop, lab...), rep, "ACCEPT", "-A OVSLAB-l -o net1 -m conntrack --ctstate RELATED,ESTABLISHED -m comment --comment ovslab:l -j ACCEPT", false},
		{"nothing accepts: the policy", chainsOf("filter", drop, lab[:3]...), req, "DROP", "", false},
		{"a DROP above", chainsOf("filter", drop, append([]string{"-A FORWARD -s 10.0.1.20/32 -j DROP"}, lab...)...), req, "DROP", "-A FORWARD -s 10.0.1.20/32 -j DROP", false},
		{"a DROP for another source", chainsOf("filter", drop, append([]string{"-A FORWARD -s 10.0.1.21/32 -j DROP"}, lab...)...), req, "ACCEPT", "-A OVSLAB-l -i net1 -m comment --comment ovslab:l -j ACCEPT", false},
		{"negation", chainsOf("filter", drop, "-A FORWARD ! -o net1 -j REJECT --reject-with icmp-port-unreachable"), req, "REJECT", "-A FORWARD ! -o net1 -j REJECT --reject-with icmp-port-unreachable", false},
		{"udp port", chainsOf("filter", nil, "-A FORWARD -p udp -m udp --dport 53 -j DROP"), udp, "DROP", "-A FORWARD -p udp -m udp --dport 53 -j DROP", false},
		{"udp other port", chainsOf("filter", nil, "-A FORWARD -p udp -m udp --dport 54 -j DROP"), udp, "ACCEPT", "", false},
		{"proto mismatch", chainsOf("filter", nil, "-A FORWARD -p tcp -j DROP"), req, "ACCEPT", "", false},
		{"interface wildcard", chainsOf("filter", nil, "-A FORWARD -i net+ -j DROP"), req, "DROP", "-A FORWARD -i net+ -j DROP", false},
		{"unknown match", chainsOf("filter", nil, "-A FORWARD -m addrtype --dst-type LOCAL -j DROP"), req, "ACCEPT", "", true},
		{"goto returns to the caller's caller", chainsOf("filter", drop, "-A FORWARD -g X", "-A FORWARD -j ACCEPT", "-A X -s 10.9.9.9/32 -j ACCEPT"), req, "DROP", "", false},
		{"icmp type", chainsOf("filter", nil, "-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP"), rep, "ACCEPT", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := walkChain(tc.chains, "filter", "FORWARD", tc.f)
			if v.target != tc.target || v.rule != tc.rule || (len(v.unsure) > 0) != tc.unsure {
				t.Errorf("got %s %q unsure %v, want %s %q unsure %v", v.target, v.rule, v.unsure, tc.target, tc.rule, tc.unsure)
			}
		})
	}
}

// TestMasqueradeChain: traffic between lab subnets RETURNs before the
// MASQUERADE, the rest is masqueraded.
func TestMasqueradeChain(t *testing.T) {
	a := netip.MustParseAddr
	chains := chainsOf("nat", map[string]string{"POSTROUTING": "ACCEPT"},
		"-A POSTROUTING -s 10.0.1.0/24 -d 10.0.2.0/24 -m comment --comment ovslab:l -j RETURN",
		"-A POSTROUTING -s 10.0.1.0/24 -m comment --comment ovslab:l -j MASQUERADE")
	if v := walkChain(chains, "nat", "POSTROUTING", flow{src: a("10.0.1.5"), dst: a("198.51.100.1"), proto: "icmp", out: "br-phy"}); v.target != "MASQUERADE" {
		t.Errorf("to the WAN: %+v", v)
	}
	if v := walkChain(chains, "nat", "POSTROUTING", flow{src: a("10.0.1.5"), dst: a("10.0.2.5"), proto: "icmp", out: "net2"}); v.target != "ACCEPT" || v.rule != "" {
		t.Errorf("between lab subnets: %+v", v)
	}
}

func TestDeleteCommand(t *testing.T) {
	if got := deleteCommand("filter", "-A FORWARD -s 10.0.1.20/32 -j DROP"); got != "iptables -D FORWARD -s 10.0.1.20/32 -j DROP" {
		t.Error(got)
	}
	if got := deleteCommand("nat", "-A POSTROUTING -j MASQUERADE"); got != "iptables -t nat -D POSTROUTING -j MASQUERADE" {
		t.Error(got)
	}
}
