package nat

import (
	"fmt"
	"slices"

	"github.com/coreos/go-iptables/iptables"
)

// Chain is one chain as iptables lists it, every rule included (the
// lab's and anyone else's), for a reader that follows a packet through
// it (ovslab trace). It is read, never written.
type Chain struct {
	Table, Name string
	Policy      string     // ACCEPT or DROP for a built-in chain, "" for a user chain
	Rules       [][]string // each rule's arguments after "-A CHAIN", as iptables -S prints them
}

// ChainRef names one chain of one table.
type ChainRef struct{ Table, Chain string }

// ReadChains lists the given chains in the netns at netnsPath ("" =
// current) and, transitively, every chain their rules jump or go to, one
// iptables run each and one per table for its chains' names. The result
// is keyed by table and chain; a root that does not exist is left out.
func ReadChains(netnsPath string, roots ...ChainRef) (map[ChainRef]*Chain, error) {
	out := map[ChainRef]*Chain{}
	err := withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		// Which chains exist, per table: asking iptables-nft for a chain
		// that does not exist fails with a message go-iptables does not
		// read as "no such chain", and a target may be an extension.
		exists := map[string][]string{}
		todo := slices.Clone(roots)
		for len(todo) > 0 {
			k := todo[0]
			todo = todo[1:]
			if _, done := out[k]; done {
				continue
			}
			if _, ok := exists[k.Table]; !ok {
				names, err := ipt.ListChains(k.Table)
				if err != nil {
					return fmt.Errorf("list %s chains: %w", k.Table, err)
				}
				exists[k.Table] = names
			}
			if !slices.Contains(exists[k.Table], k.Chain) {
				continue
			}
			c, err := readChain(ipt, k)
			if err != nil {
				return err
			}
			out[k] = c
			for _, r := range c.Rules {
				if t := Target(r); t != "" && !builtinTarget(t) {
					todo = append(todo, ChainRef{k.Table, t})
				}
			}
		}
		return nil
	})
	return out, err
}

func readChain(ipt *iptables.IPTables, k ChainRef) (*Chain, error) {
	lines, err := ipt.List(k.Table, k.Chain)
	if err != nil {
		return nil, fmt.Errorf("list %s %s: %w", k.Table, k.Chain, err)
	}
	c := &Chain{Table: k.Table, Name: k.Chain}
	for _, l := range lines {
		f := fields(l)
		switch {
		case len(f) == 3 && f[0] == "-P":
			c.Policy = f[2]
		case len(f) >= 2 && f[0] == "-A" && f[1] == k.Chain:
			c.Rules = append(c.Rules, f[2:])
		}
	}
	return c, nil
}

// Target is a rule's -j or -g target, "" for none.
func Target(rule []string) string {
	for i := 0; i+1 < len(rule); i++ {
		if rule[i] == "-j" || rule[i] == "-g" {
			return rule[i+1]
		}
	}
	return ""
}

// builtinTarget tells the verdicts iptables itself knows from chains
// and extensions, which ReadChains looks up among the table's chains.
func builtinTarget(t string) bool {
	switch t {
	case "ACCEPT", "DROP", "REJECT", "RETURN":
		return true
	}
	return false
}
