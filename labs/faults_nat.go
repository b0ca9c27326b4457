package labs

import (
	"slices"

	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
)

// The faults of forwarding and iptables, through go-iptables and the
// sysctl helpers like the rest of the lab: a network's MASQUERADE
// removed (nat-off), ip_forward off (forward-off), and a DROP for one
// flow (drop). The DROP carries the lab's comment, so down removes it
// like every rule of the lab, even by marks alone.

// masqueradeRule is the MASQUERADE rule of n, the one nat-off removes:
// the RETURNs before it stay and change nothing without it.
func masqueradeRule(n topology.NATPlan) nat.Rule {
	for _, r := range nat.MasqueradeRules(n.Subnet, n.Exclude, n.GatewayPort) {
		if r.Table == "nat" && slices.Contains(r.Spec, "MASQUERADE") {
			return r
		}
	}
	return nat.Rule{}
}

// dropRule is the iptables rule of a drop fault, as `iptables -S` prints
// it so that it compares equal when listed.
func dropRule(f topology.Fault) nat.Rule {
	var spec []string
	if f.Src.IsValid() {
		spec = append(spec, "-s", f.Src.String()+"/32")
	}
	spec = append(spec, "-d", f.Dst.String()+"/32", "-j", "DROP")
	return nat.Rule{Table: "filter", Chain: f.Chain, Spec: spec}
}

// applyRules converges rec's host's rules to its plan with rec's change
// made and the other faults' rules held as found.
func (e *faultEnv) applyRules(rec *appliedFault) error {
	p := e.plans[rec.Host]
	netns := e.j.st.hostLocation(rec.Host, e.ovsdb).netnsPath()
	rules, err := holdRules(netns, p.Lab, e.j.holds().onHost(rec.Host), planRules(p), rec)
	if err != nil {
		return err
	}
	return nat.Ensure(netns, p.Lab, rules)
}

// planRules are the rules host p's plan wants.
func planRules(p *topology.HostPlan) []nat.Rule {
	var rules []nat.Rule
	for _, n := range p.NAT {
		rules = append(rules, nat.MasqueradeRules(n.Subnet, n.Exclude, n.GatewayPort)...)
	}
	return rules
}

// holdRules patches rules with what the faults recs hold: a nat-off's
// MASQUERADE stays out and a drop's DROP stays in, where applying makes
// them so or where they are so now (a student who put a MASQUERADE back,
// or deleted the DROP, keeps it that way).
func holdRules(netns, lab string, recs holds, rules []nat.Rule, applying *appliedFault) ([]nat.Rule, error) {
	var mine holds
	for _, r := range recs {
		if r.Rule != nil && (r.Kind == topology.FaultNATOff || r.Kind == topology.FaultDrop) {
			if applying == nil || !sameChange(r, applying) {
				mine = append(mine, r)
			}
		}
	}
	if applying != nil && applying.Rule != nil {
		mine = append(mine, applying)
	}
	if len(mine) == 0 {
		return rules, nil
	}
	have, err := nat.List(netns, lab)
	if err != nil {
		return nil, err
	}
	present := func(r nat.Rule) bool {
		return slices.ContainsFunc(have, func(h nat.Rule) bool {
			return h.Table == r.Table && h.Chain == r.Chain && slices.Equal(h.Spec, r.Spec)
		})
	}
	var drops []nat.Rule
	for _, r := range mine {
		set := applying != nil && sameChange(r, applying)
		switch r.Kind {
		case topology.FaultNATOff:
			if set || !present(*r.Rule) {
				rules = slices.DeleteFunc(rules, func(x nat.Rule) bool {
					return x.Table == r.Rule.Table && x.Chain == r.Rule.Chain && slices.Equal(x.Spec, r.Rule.Spec)
				})
			}
		case topology.FaultDrop:
			if set || present(*r.Rule) {
				drops = append(drops, *r.Rule)
			}
		}
	}
	// DROPs first in their chains: the lab's ACCEPTs would pass the flow.
	return append(drops, rules...), nil
}
