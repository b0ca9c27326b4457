package nat

import (
	"errors"
	"fmt"
	"slices"

	"github.com/coreos/go-iptables/iptables"
)

// scanChains lists those of the given chains that exist, one iptables run
// each, and returns them. Whether a chain other than a built-in one exists
// is asked first (one run per table): iptables 1.8.9 (nf_tables) reports a
// missing chain not as missing but as "incompatible, use 'nft' tool".
func scanChains(ipt *iptables.IPTables, keys []chainKey) (map[chainKey][]entry, []chainKey, error) {
	exist := map[string][]string{}
	var present []chainKey
	for _, k := range keys {
		if !builtin[k.chain] {
			names, ok := exist[k.table]
			if !ok {
				var err error
				if names, err = ipt.ListChains(k.table); err != nil {
					return nil, nil, fmt.Errorf("list %s chains: %w", k.table, err)
				}
				exist[k.table] = names
			}
			if !slices.Contains(names, k.chain) {
				continue
			}
		}
		present = append(present, k)
	}
	return listChains(ipt, present)
}

// listChains lists chains known to exist; one gone since is left out.
func listChains(ipt *iptables.IPTables, keys []chainKey) (map[chainKey][]entry, []chainKey, error) {
	have := map[chainKey][]entry{}
	var found []chainKey
	for _, k := range keys {
		lines, err := ipt.List(k.table, k.chain)
		var ierr *iptables.Error
		if errors.As(err, &ierr) && ierr.IsNotExist() {
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("list %s %s: %w", k.table, k.chain, err)
		}
		found = append(found, k)
		for _, l := range lines {
			if _, e, ok := parseRule(l); ok {
				have[k] = append(have[k], e)
			}
		}
	}
	return have, found, nil
}

// builtin are the chains every table that has them always holds.
var builtin = map[string]bool{"PREROUTING": true, "INPUT": true, "FORWARD": true, "OUTPUT": true, "POSTROUTING": true}

// scan lists every chain of the managed tables. It returns each chain's
// rules and the chains in listing order (tables in the order of tables).
func scan(ipt *iptables.IPTables) (map[chainKey][]entry, []chainKey, error) {
	var all []chainKey
	for _, t := range tables {
		names, err := ipt.ListChains(t)
		if err != nil {
			return nil, nil, fmt.Errorf("list %s chains: %w", t, err)
		}
		for _, c := range names {
			all = append(all, chainKey{t, c})
		}
	}
	return listChains(ipt, all)
}

func owns(entries []entry, comment string) bool {
	return slices.ContainsFunc(entries, func(e entry) bool { return e.comment == comment })
}
