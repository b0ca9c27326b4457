package nat

import (
	"net/netip"
	"slices"
)

// MasqueradeRules returns the rules that NAT one subnet whose gateway is the
// internal port gwPort, in the order Ensure should keep them:
//
//	nat POSTROUTING:  -s subnet -d X -j RETURN       for each X in exclude, and the subnet
//	nat POSTROUTING:  -s subnet -o gwPort -j RETURN  routed back onto the lab's bridge
//	nat POSTROUTING:  -s subnet -j MASQUERADE
//	filter LabChain:  -i gwPort -j ACCEPT
//	filter LabChain:  -o gwPort -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
//
// The RETURNs come first so traffic that stays in the lab, on its own
// subnet or bridge or between lab subnets, keeps its source address: the
// same scope as Docker's own "-s SUBNET ! -o docker0 -j MASQUERADE". The
// accepts matter on hosts where Docker has set the FORWARD policy to DROP;
// they sit in the lab's chain, below the admin's DOCKER-USER (LabChain).
// Prefixes are masked and excludes de-duplicated; non-IPv4 excludes are
// skipped, since IPv4 iptables cannot match them. Specs are built in the
// order `iptables -S` prints them, so a second Ensure recognises them and
// writes nothing.
func MasqueradeRules(subnet netip.Prefix, exclude []netip.Prefix, gwPort string) []Rule {
	src := subnet.Masked().String()
	var rules []Rule
	seen := map[netip.Prefix]bool{}
	for _, x := range append(slices.Clone(exclude), subnet) {
		x = x.Masked()
		if !x.Addr().Is4() || seen[x] {
			continue
		}
		seen[x] = true
		rules = append(rules, Rule{Table: "nat", Chain: "POSTROUTING",
			Spec: []string{"-s", src, "-d", x.String(), "-j", "RETURN"}})
	}
	return append(rules,
		Rule{Table: "nat", Chain: "POSTROUTING",
			Spec: []string{"-s", src, "-o", gwPort, "-j", "RETURN"}},
		Rule{Table: "nat", Chain: "POSTROUTING",
			Spec: []string{"-s", src, "-j", "MASQUERADE"}},
		Rule{Table: "filter", Chain: LabChain,
			Spec: []string{"-i", gwPort, "-j", "ACCEPT"}},
		Rule{Table: "filter", Chain: LabChain,
			Spec: []string{"-o", gwPort, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}},
	)
}
