package nat

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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
// Rules in LabChain go into the lab's own filter chain, jumped to from the
// end of FORWARD (see LabChain). For every other chain that appears in
// rules or is one ovslab writes to (ownChains) and already holds rules
// with the lab's comment, the lab's rules there become exactly the wanted
// ones, in order, at the top of the chain (nat POSTROUTING: before
// Docker's MASQUERADE). A chain that already matches is not written at
// all; otherwise the lab's rules in it are deleted and the wanted ones
// inserted at positions 1..n. Rules without the lab's comment are never
// touched. Ensure(path, lab, nil) removes the lab's rules and chain like
// Delete.
func Ensure(netnsPath, lab string, rules []Rule) error {
	_, err := Converge(netnsPath, lab, rules)
	return err
}

// Converge is Ensure that also returns the chains it rewrote ("nat
// POSTROUTING", "filter OVSLAB-<lab>" for the lab's chain or its jump),
// none when every chain already matched.
func Converge(netnsPath, lab string, rules []Rule) (rewrote []string, err error) {
	return converge(netnsPath, lab, rules, scanChains)
}

// ConvergeEmpty is Converge for a netns whose tables hold no rules at all,
// one its caller made in this run: it writes the rules without listing
// a chain first. Listing costs an iptables run per chain, three per host
// and six per copy of the reference lab, of the 21 its up runs.
func ConvergeEmpty(netnsPath, lab string, rules []Rule) (rewrote []string, err error) {
	return converge(netnsPath, lab, rules, emptyChains)
}

// emptyChains is scanChains for tables known to be empty: the built-in
// chains exist and hold nothing, no other chain exists.
func emptyChains(_ *iptables.IPTables, keys []chainKey) (map[chainKey][]entry, []chainKey, error) {
	var present []chainKey
	for _, k := range keys {
		if builtin[k.chain] {
			present = append(present, k)
		}
	}
	return map[chainKey][]entry{}, present, nil
}

func converge(netnsPath, lab string, rules []Rule, scanChains func(*iptables.IPTables, []chainKey) (map[chainKey][]entry, []chainKey, error)) (rewrote []string, err error) {
	if err := checkLab(lab); err != nil {
		return nil, err
	}
	want := map[chainKey][]Rule{}
	var order []chainKey
	var labRules []Rule
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return nil, err
		}
		if r.Chain == LabChain {
			labRules = append(labRules, r)
			continue
		}
		k := chainKey{r.Table, r.Chain}
		if _, ok := want[k]; !ok {
			order = append(order, k)
		}
		want[k] = append(want[k], r)
	}
	comment := Comment(lab)
	labKey := chainKey{"filter", ChainName(lab)}
	err = withIPTables(netnsPath, func(ipt *iptables.IPTables) error {
		// The chains ovslab writes to, and those asked for: listing every
		// chain costs one iptables run each, and a no-op up does this on
		// every host.
		have, chains, err := scanChains(ipt, union(ownChains, append(slices.Clone(order), labKey)))
		if err != nil {
			return err
		}
		for _, k := range order {
			if !slices.Contains(chains, k) {
				return fmt.Errorf("%s %s: no such chain in %s", k.table, k.chain, nsutil.Label(netnsPath))
			}
		}
		// Chains that only hold leftovers (a network lost its NAT, or an
		// older ovslab put FORWARD accepts at the top) come after the
		// wanted ones, in listing order, so runs are repeatable.
		for _, k := range chains {
			if _, ok := want[k]; !ok && k != labKey && owns(top(have, k, lab), comment) {
				order = append(order, k)
			}
		}
		for _, k := range order {
			entries := top(have, k, lab)
			if inPlace(entries, comment, canonicalSpecs(want[k])) {
				continue
			}
			if err := ensureChain(ipt, k, entries, comment, want[k]); err != nil {
				return fmt.Errorf("%s %s in %s: %w", k.table, k.chain, nsutil.Label(netnsPath), err)
			}
			rewrote = append(rewrote, k.table+" "+k.chain)
		}
		exists := slices.Contains(chains, labKey)
		if labChainConverged(lab, have, exists, canonicalSpecs(labRules)) {
			return nil
		}
		if err := ensureLabChain(ipt, lab, have, exists, labRules); err != nil {
			return fmt.Errorf("%s: %w", nsutil.Label(netnsPath), err)
		}
		rewrote = append(rewrote, labKey.table+" "+labKey.chain)
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

// top is a built-in chain's rules as far as the rules Ensure keeps at its
// top are concerned: FORWARD without the lab's jump to its chain.
func top(have map[chainKey][]entry, k chainKey, lab string) []entry {
	if k == (chainKey{"filter", "FORWARD"}) {
		return withoutJump(have[k], Comment(lab), ChainName(lab))
	}
	return have[k]
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
// filter tables (every chain) of the netns at netnsPath ("" = current),
// and the lab's own chain. Rules already gone are success, so Delete can
// be repeated.
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
		labKey := chainKey{"filter", ChainName(lab)}
		for _, k := range chains {
			if k == labKey {
				continue
			}
			if err := deleteOwned(ipt, k, top(have, k, lab), comment); err != nil {
				return fmt.Errorf("%s %s in %s: %w", k.table, k.chain, nsutil.Label(netnsPath), err)
			}
		}
		if err := removeLabChain(ipt, lab, have[chainKey{"filter", "FORWARD"}], have[labKey], slices.Contains(chains, labKey)); err != nil {
			return fmt.Errorf("%s: %w", nsutil.Label(netnsPath), err)
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
	var labWant [][]string
	for _, r := range rules {
		if err := checkRule(r); err != nil {
			return false, err
		}
		if r.Chain == LabChain {
			labWant = append(labWant, canonical(r.Spec))
			continue
		}
		k := chainKey{r.Table, r.Chain}
		want[k] = append(want[k], canonical(r.Spec))
	}
	comment := Comment(lab)
	labKey := chainKey{"filter", ChainName(lab)}
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
			if k != labKey {
				ok = ok && inPlace(top(have, k, lab), comment, want[k])
			}
		}
		ok = ok && labChainConverged(lab, have, slices.Contains(chains, labKey), labWant)
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
		if err := deleteRule(ipt, k, e); err != nil {
			return err
		}
	}
	return nil
}

// deleteRule deletes one listed rule by its spec; gone already is fine.
func deleteRule(ipt *iptables.IPTables, k chainKey, e entry) error {
	err := ipt.Delete(k.table, k.chain, e.args...)
	var ierr *iptables.Error
	if err != nil && !(errors.As(err, &ierr) && ierr.IsNotExist()) {
		return fmt.Errorf("delete %q: %w", strings.Join(e.spec, " "), err)
	}
	return nil
}

// ownChains are the built-in chains MasqueradeRules writes to or, for
// FORWARD, jumps from: the only places rules of a lab can be left over
// when its NAT goes, besides the lab's chain.
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

// withIPTables runs fn with an IPv4 iptables handle on a thread inside the
// netns: go-iptables executes the iptables binary, which inherits the
// thread's netns.
func withIPTables(netnsPath string, fn func(*iptables.IPTables) error) error {
	return nsutil.Do(netnsPath, func() error {
		ipt, err := handle()
		if err != nil {
			return fmt.Errorf("iptables: %w", err)
		}
		return fn(ipt)
	})
}

// handle is the process's iptables handle, made on first use: making one
// runs `iptables --version`, and a status reads every host's rules. It
// holds only the binary's path and what its version supports, whatever
// the netns; a failure is not kept, so a server started before iptables
// was installed finds it later.
func handle() (*iptables.IPTables, error) {
	handleMu.Lock()
	defer handleMu.Unlock()
	if handleIPT == nil {
		ipt, err := iptables.New(iptables.IPFamily(iptables.ProtocolIPv4), iptables.Timeout(lockWait))
		if err != nil {
			return nil, err
		}
		handleIPT = ipt
	}
	return handleIPT, nil
}

var (
	handleMu  sync.Mutex
	handleIPT *iptables.IPTables
)

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
	case r.Chain == LabChain && r.Table != "filter":
		return fmt.Errorf("rule %q: %w: the lab's chain is in the filter table", r, ErrInvalid)
	case r.Chain == "":
		return fmt.Errorf("rule %q: %w: no chain", r, ErrInvalid)
	case len(r.Spec) == 0:
		return fmt.Errorf("rule %q: %w: empty spec", r, ErrInvalid)
	case hasComment(r.Spec):
		return fmt.Errorf("rule %q: %w: carries its own comment; Ensure adds the ownership comment", r, ErrInvalid)
	}
	return nil
}
