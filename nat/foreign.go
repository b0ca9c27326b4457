package nat

import (
	"errors"
	"fmt"
	"strings"

	"github.com/coreos/go-iptables/iptables"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// DeleteForeign removes every rule of the nat and filter tables in the
// netns at netnsPath that does not carry the lab's comment. It is only
// for a namespace that is the lab's own, whole (an emulated host), where
// a rule without the mark was added by hand, e.g. by a student, and
// `ovslab reset` takes the host back to what the file makes; it never
// runs on a real host.
func DeleteForeign(netnsPath, lab string) error {
	if err := checkLab(lab); err != nil {
		return err
	}
	if netnsPath == "" {
		return fmt.Errorf("delete foreign rules: %w: only in a lab's own netns, never in this one", ErrInvalid)
	}
	comment := Comment(lab)
	return withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		have, chains, err := scan(ipt)
		if err != nil {
			return err
		}
		for _, k := range chains {
			for _, e := range have[k] {
				if e.comment == comment {
					continue
				}
				err := ipt.Delete(k.table, k.chain, e.args...)
				var ierr *iptables.Error
				if err != nil && !(errors.As(err, &ierr) && ierr.IsNotExist()) {
					return fmt.Errorf("%s %s in %s: delete %q: %w", k.table, k.chain, nsutil.Label(netnsPath), strings.Join(e.args, " "), err)
				}
			}
		}
		return nil
	})
}
