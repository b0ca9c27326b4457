package nat

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-iptables/iptables"
)

// LabChain, as a Rule's Chain, is the lab's own filter chain: Ensure makes
// it (OVSLAB-<lab>), puts the lab's rules in it and jumps to it from the
// end of FORWARD, below every rule already there. So the admin's policy
// (DOCKER-USER, where Docker tells admins to put it, and any rule above)
// and Docker's own isolation chains see the lab's traffic first, and the
// lab's accepts only decide what they let through.
//
// One chain per lab, not one shared OVSLAB chain: each lab then owns its
// chain and its jump outright, so up and down of different labs, which run
// at the same time, never race over a shared object, and down removes
// exactly what its up made.
const LabChain = "@lab"

// ErrNotOwned is wrapped when the lab's chain exists but holds or is
// jumped to by rules without the lab's comment: it is someone else's.
var ErrNotOwned = errors.New("not owned by this lab")

// maxChain is the longest chain name iptables takes.
const maxChain = 28

// ChainName is the filter chain that holds lab's FORWARD rules:
// OVSLAB-<lab>, or for a name too long for iptables, its first 12
// characters and a hash of the whole name.
func ChainName(lab string) string {
	if name := "OVSLAB-" + lab; len(name) <= maxChain {
		return name
	}
	sum := sha256.Sum256([]byte(lab))
	return "OVSLAB-" + lab[:12] + "-" + hex.EncodeToString(sum[:4])
}

// dockerChain reports whether a FORWARD rule hands packets to DOCKER-USER
// or to one of Docker's own chains (DOCKER, DOCKER-FORWARD,
// DOCKER-ISOLATION-STAGE-1, ...): the lab's jump must come after them.
func dockerChain(e entry) bool {
	i := slices.Index(e.spec, "-j")
	return i >= 0 && i+1 < len(e.spec) && strings.HasPrefix(e.spec[i+1], "DOCKER")
}

// jumpSpec is the rule in FORWARD that sends packets to chain.
func jumpSpec(chain string) []string { return []string{"-j", chain} }

// jumpInPlace reports whether FORWARD holds exactly one jump of the lab's
// to its chain, below every rule that hands packets to Docker's chains.
// Rules added below it later (an admin's) do not move it: a re-up never
// puts the lab above a rule it found below itself.
func jumpInPlace(forward []entry, comment, chain string) bool {
	at := -1
	for i, e := range forward {
		if e.comment == comment && slices.Equal(e.spec, jumpSpec(chain)) {
			if at >= 0 {
				return false // a duplicate
			}
			at = i
		}
	}
	if at < 0 {
		return false
	}
	return !slices.ContainsFunc(forward[at+1:], dockerChain)
}

// isJump reports whether e is the lab's jump to its chain.
func isJump(e entry, comment, chain string) bool {
	return e.comment == comment && slices.Equal(e.spec, jumpSpec(chain))
}

// withoutJump is FORWARD without the lab's jump, for the rules the lab
// keeps at the top of built-in chains.
func withoutJump(forward []entry, comment, chain string) []entry {
	return slices.DeleteFunc(slices.Clone(forward), func(e entry) bool { return isJump(e, comment, chain) })
}

// checkChainOwner refuses a lab chain that holds, or is jumped to from
// FORWARD by, a rule without the lab's comment.
func checkChainOwner(chain string, entries, forward []entry, comment string) error {
	for _, e := range entries {
		if e.comment != comment {
			return fmt.Errorf("filter chain %s holds a rule that is not lab's (%s); rename or remove the chain: %w", chain, strings.Join(e.spec, " "), ErrNotOwned)
		}
	}
	for _, e := range forward {
		if e.comment != comment && slices.Contains(e.spec, chain) {
			return fmt.Errorf("filter FORWARD jumps to %s with a rule that is not the lab's (%s): %w", chain, strings.Join(e.spec, " "), ErrNotOwned)
		}
	}
	return nil
}

// ensureLabChain makes the lab's chain hold exactly want and FORWARD
// jump to it once, at its end; with nothing wanted, both go.
func ensureLabChain(ipt *iptables.IPTables, lab string, have map[chainKey][]entry, exists bool, want []Rule) error {
	comment, chain := Comment(lab), ChainName(lab)
	key, fwd := chainKey{"filter", chain}, chainKey{"filter", "FORWARD"}
	if len(want) == 0 {
		return removeLabChain(ipt, lab, have[fwd], have[key], exists)
	}
	if exists {
		if err := checkChainOwner(chain, have[key], have[fwd], comment); err != nil {
			return err
		}
	} else if err := ipt.NewChain("filter", chain); err != nil {
		return fmt.Errorf("create chain %s: %w", chain, err)
	}
	if err := ensureChain(ipt, key, have[key], comment, want); err != nil {
		return fmt.Errorf("filter %s: %w", chain, err)
	}
	if jumpInPlace(have[fwd], comment, chain) {
		return nil
	}
	for _, e := range have[fwd] {
		if isJump(e, comment, chain) {
			if err := deleteRule(ipt, fwd, e); err != nil {
				return err
			}
		}
	}
	if err := ipt.Append("filter", "FORWARD", withComment(jumpSpec(chain), comment)...); err != nil {
		return fmt.Errorf("filter FORWARD: jump to %s: %w", chain, err)
	}
	return nil
}

// removeLabChain deletes the lab's jump and its chain, if there. A chain
// still holding rules of someone else's is left, and named.
func removeLabChain(ipt *iptables.IPTables, lab string, forward, entries []entry, exists bool) error {
	comment, chain := Comment(lab), ChainName(lab)
	for _, e := range forward {
		if isJump(e, comment, chain) {
			if err := deleteRule(ipt, chainKey{"filter", "FORWARD"}, e); err != nil {
				return err
			}
		}
	}
	if !exists {
		return nil
	}
	if err := deleteOwned(ipt, chainKey{"filter", chain}, entries, comment); err != nil {
		return err
	}
	if err := checkChainOwner(chain, entries, forward, comment); err != nil {
		return err
	}
	err := ipt.DeleteChain("filter", chain)
	var ierr *iptables.Error
	if err != nil && !(errors.As(err, &ierr) && ierr.IsNotExist()) {
		return fmt.Errorf("delete chain %s: %w", chain, err)
	}
	return nil
}

// labChainConverged is jumpInPlace and the chain's rules for Converged.
func labChainConverged(lab string, have map[chainKey][]entry, exists bool, want [][]string) bool {
	comment, chain := Comment(lab), ChainName(lab)
	fwd := have[chainKey{"filter", "FORWARD"}]
	if len(want) == 0 {
		return !exists && !slices.ContainsFunc(fwd, func(e entry) bool { return isJump(e, comment, chain) })
	}
	entries := have[chainKey{"filter", chain}]
	return exists && jumpInPlace(fwd, comment, chain) && checkChainOwner(chain, entries, fwd, comment) == nil &&
		inPlace(entries, comment, want)
}
