package nat

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/coreos/go-iptables/iptables"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// ErrInvalid is returned (wrapped) for a lab name or rule that ovslab will
// not write: it is a caller's bug, not a state of the machine.
var ErrInvalid = errors.New("invalid")

// commentPrefix marks every rule ovslab owns, whatever the lab.
const commentPrefix = "ovslab:"

// lockWait bounds how long an iptables call waits for the xtables lock
// (seconds): a wedged holder must fail `up`, not hang it.
const lockWait = 30

// tables are the ones ovslab writes to and cleans up. Ensure refuses others
// so that Delete, which scans only these, always finds everything.
var tables = []string{"nat", "filter"}

// Rule is one iptables rule: table, chain and the match/target spec in the
// order `iptables -S` prints it, WITHOUT the ownership comment (Ensure adds
// it). A spec in another order still works but is rewritten on every Ensure.
type Rule struct {
	Table, Chain string
	Spec         []string
}

// String renders the rule for messages and status: "nat POSTROUTING -s ...".
func (r Rule) String() string {
	return r.Table + " " + r.Chain + " " + strings.Join(r.Spec, " ")
}

// Comment returns the ownership comment "ovslab:<lab>" carried by every rule
// of the lab.
func Comment(lab string) string { return commentPrefix + lab }

// chainKey names one chain of one table.
type chainKey struct{ table, chain string }

// Ensure converges the lab's rules in the netns at netnsPath ("" = current).
// For every chain that appears in rules or is one ovslab writes to
// (ownChains) and already holds rules with the lab's comment, the lab's rules there become exactly the wanted ones, in
// order, at the top of the chain, so they act before Docker's. A chain that
// already matches is not written at all; otherwise the lab's rules in it are
// deleted and the wanted ones inserted at positions 1..n. Rules without the
// lab's comment are never touched. Ensure(path, lab, nil) removes the lab's
// rules like Delete.
func Ensure(netnsPath, lab string, rules []Rule) error {
	_, err := Converge(netnsPath, lab, rules)
	return err
}

// Converge is Ensure that also returns the chains it rewrote ("nat
// POSTROUTING"), none when every chain already matched.
func Converge(netnsPath, lab string, rules []Rule) (rewrote []string, err error) {
	if err := checkLab(lab); err != nil {
		return nil, err
	}
	want := map[chainKey][]Rule{}
	var order []chainKey
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return nil, err
		}
		k := chainKey{r.Table, r.Chain}
		if _, ok := want[k]; !ok {
			order = append(order, k)
		}
		want[k] = append(want[k], r)
	}
	comment := Comment(lab)
	err = withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		// The chains ovslab writes to, and those asked for: listing every
		// chain costs one iptables run each, and a no-op up does this on
		// every host.
		have, chains, err := scanChains(ipt, union(ownChains, order))
		if err != nil {
			return err
		}
		for _, k := range order {
			if !slices.Contains(chains, k) {
				return fmt.Errorf("%s %s: no such chain in %s", k.table, k.chain, nsutil.Label(netnsPath))
			}
		}
		// Chains that only hold leftovers (a network lost its NAT) come
		// after the wanted ones, in listing order, so runs are repeatable.
		for _, k := range chains {
			if _, ok := want[k]; !ok && owns(have[k], comment) {
				order = append(order, k)
			}
		}
		for _, k := range order {
			if specs := canonicalSpecs(want[k]); inPlace(have[k], comment, specs) {
				continue
			}
			if err := ensureChain(ipt, k, have[k], comment, want[k]); err != nil {
				return fmt.Errorf("%s %s in %s: %w", k.table, k.chain, nsutil.Label(netnsPath), err)
			}
			rewrote = append(rewrote, k.table+" "+k.chain)
		}
		return nil
	})
	return rewrote, err
}

// canonicalSpecs are the rules' specs as iptables -S prints them.
func canonicalSpecs(rules []Rule) [][]string {
	specs := make([][]string, len(rules))
	for i, r := range rules {
		specs[i] = canonical(r.Spec)
	}
	return specs
}

// ensureChain makes one chain hold the wanted lab rules at its top.
func ensureChain(ipt *iptables.IPTables, k chainKey, entries []entry, comment string, want []Rule) error {
	if inPlace(entries, comment, canonicalSpecs(want)) {
		return nil
	}
	// Delete by spec, not by position: Docker may insert rules at any
	// moment, and a stale position could hit a rule that is not ours.
	if err := deleteOwned(ipt, k, entries, comment); err != nil {
		return err
	}
	for i, r := range want {
		if err := ipt.Insert(k.table, k.chain, i+1, withComment(r.Spec, comment)...); err != nil {
			return fmt.Errorf("insert %q: %w", strings.Join(r.Spec, " "), err)
		}
	}
	return nil
}

// Delete removes every rule carrying the lab's comment from the nat and
// filter tables (every chain) of the netns at netnsPath ("" = current).
// Rules already gone are success, so Delete can be repeated.
func Delete(netnsPath, lab string) error {
	if err := checkLab(lab); err != nil {
		return err
	}
	comment := Comment(lab)
	return withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		have, chains, err := scan(ipt)
		if err != nil {
			return err
		}
		for _, k := range chains {
			if err := deleteOwned(ipt, k, have[k], comment); err != nil {
				return fmt.Errorf("%s %s in %s: %w", k.table, k.chain, nsutil.Label(netnsPath), err)
			}
		}
		return nil
	})
}

// List returns the lab's rules in the netns at netnsPath ("" = current), in
// chain order, with their specs as `iptables -S` prints them minus the
// comment, so they compare equal to what was passed to Ensure.
func List(netnsPath, lab string) ([]Rule, error) {
	if err := checkLab(lab); err != nil {
		return nil, err
	}
	comment := Comment(lab)
	var out []Rule
	err := withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		have, chains, err := scan(ipt)
		if err != nil {
			return err
		}
		for _, k := range chains {
			for _, e := range have[k] {
				if e.comment == comment {
					out = append(out, Rule{Table: k.table, Chain: k.chain, Spec: e.spec})
				}
			}
		}
		return nil
	})
	return out, err
}

// Converged reports whether Ensure(netnsPath, lab, rules) would write
// nothing, for `status` and `plan`.
func Converged(netnsPath, lab string, rules []Rule) (bool, error) {
	if err := checkLab(lab); err != nil {
		return false, err
	}
	want := map[chainKey][][]string{}
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return false, err
		}
		k := chainKey{r.Table, r.Chain}
		want[k] = append(want[k], canonical(r.Spec))
	}
	comment := Comment(lab)
	ok := true
	err := withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		have, chains, err := scan(ipt)
		if err != nil {
			return err
		}
		for k := range want {
			if !slices.Contains(chains, k) {
				ok = false
			}
		}
		for _, k := range chains {
			ok = ok && inPlace(have[k], comment, want[k])
		}
		return nil
	})
	return ok && err == nil, err
}

// deleteOwned deletes the chain's rules that carry comment, one -D per
// listed rule so duplicates go too.
func deleteOwned(ipt *iptables.IPTables, k chainKey, entries []entry, comment string) error {
	for _, e := range entries {
		if e.comment != comment {
			continue
		}
		err := ipt.Delete(k.table, k.chain, e.args...)
		var ierr *iptables.Error
		if err != nil && !(errors.As(err, &ierr) && ierr.IsNotExist()) {
			return fmt.Errorf("delete %q: %w", strings.Join(e.spec, " "), err)
		}
	}
	return nil
}

// ownChains are the chains MasqueradeRules writes to: the only places
// rules of a lab can be left over when its NAT goes.
var ownChains = []chainKey{{"nat", "POSTROUTING"}, {"filter", "FORWARD"}}

func union(a, b []chainKey) []chainKey {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// scanChains lists the given chains, one iptables run each; a chain that
// does not exist is left out of the chains returned.
func scanChains(ipt *iptables.IPTables, keys []chainKey) (map[chainKey][]entry, []chainKey, error) {
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
	return scanChains(ipt, all)
}

func owns(entries []entry, comment string) bool {
	return slices.ContainsFunc(entries, func(e entry) bool { return e.comment == comment })
}

// withIPTables runs fn with an IPv4 iptables handle on a thread inside the
// netns: go-iptables executes the iptables binary, which inherits the
// thread's netns.
func withIPTables(netnsPath string, fn func(*iptables.IPTables) error) error {
	return nsutil.Do(netnsPath, func() error {
		ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv4), iptables.Timeout(lockWait))
		if err != nil {
			return fmt.Errorf("iptables: %w", err)
		}
		return fn(ipt)
	})
}

// checkLab rejects names that would not survive as a comment unquoted or
// that would make the comment match other labs' rules.
func checkLab(lab string) error {
	if lab == "" || len(lab) > 200 || strings.ContainsFunc(lab, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) {
		return fmt.Errorf("lab name %q: %w: want 1..200 of [A-Za-z0-9._-]", lab, ErrInvalid)
	}
	return nil
}

func checkRule(r Rule) error {
	switch {
	case !slices.Contains(tables, r.Table):
		return fmt.Errorf("rule %q: table %q: %w: ovslab manages only %v", r, r.Table, ErrInvalid, tables)
	case r.Chain == "":
		return fmt.Errorf("rule %q: %w: no chain", r, ErrInvalid)
	case len(r.Spec) == 0:
		return fmt.Errorf("rule %q: %w: empty spec", r, ErrInvalid)
	case hasComment(r.Spec):
		return fmt.Errorf("rule %q: %w: carries its own comment; Ensure adds the ownership comment", r, ErrInvalid)
	}
	return nil
}
