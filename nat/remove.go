package nat

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-iptables/iptables"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// Remove deletes the lab's rules (those carrying its comment) that match
// rules, wherever they are in their chains, from the netns at netnsPath
// ("" = current); every other rule stays. Rules already gone, and chains
// that do not exist, are success. It is for the rules Ensure does not
// look after once they are no longer wanted: an exercise's DROP in INPUT
// or OUTPUT, which Ensure does not scan on every up.
func Remove(netnsPath, lab string, rules []Rule) error {
	if err := checkLab(lab); err != nil {
		return err
	}
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return err
		}
	}
	comment := Comment(lab)
	return withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		for _, r := range rules {
			k := chainKey{r.Table, r.Chain}
			have, _, err := scanChains(ipt, []chainKey{k})
			if err != nil {
				return err
			}
			want := canonical(r.Spec)
			for _, e := range have[k] {
				if e.comment != comment || !slices.Equal(e.spec, want) {
					continue
				}
				err := ipt.Delete(k.table, k.chain, e.args...)
				var ierr *iptables.Error
				if err != nil && !(errors.As(err, &ierr) && ierr.IsNotExist()) {
					return fmt.Errorf("%s %s in %s: delete %q: %w", k.table, k.chain, nsutil.Label(netnsPath), strings.Join(e.spec, " "), err)
				}
			}
		}
		return nil
	})
}
