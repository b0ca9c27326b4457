package nat

import "net/netip"

// MasqueradeRules returns the rules that NAT one subnet whose gateway is the
// internal port gwPort, in the order Ensure should keep them:
//
//	nat POSTROUTING:  -s subnet -d X -j RETURN   for each X in exclude
//	nat POSTROUTING:  -s subnet -j MASQUERADE
//	filter FORWARD:   -i gwPort -j ACCEPT
//	filter FORWARD:   -o gwPort -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
//
// The RETURNs come first so traffic between lab subnets keeps its source
// address. The FORWARD accepts matter on hosts where Docker has set the
// FORWARD policy to DROP. Prefixes are masked and excludes de-duplicated;
// non-IPv4 excludes are skipped, since IPv4 iptables cannot match them.
// Specs are built in the order `iptables -S` prints them, so a second Ensure
// recognises them and writes nothing.
func MasqueradeRules(subnet netip.Prefix, exclude []netip.Prefix, gwPort string) []Rule {
	src := subnet.Masked().String()
	var rules []Rule
	seen := map[netip.Prefix]bool{}
	for _, x := range exclude {
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
			Spec: []string{"-s", src, "-j", "MASQUERADE"}},
		Rule{Table: "filter", Chain: "FORWARD",
			Spec: []string{"-i", gwPort, "-j", "ACCEPT"}},
		Rule{Table: "filter", Chain: "FORWARD",
			Spec: []string{"-o", gwPort, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}},
	)
}
