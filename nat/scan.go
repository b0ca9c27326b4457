package nat

import (
	"bytes"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// scanChains lists those of the given chains that exist, one iptables
// run per table they are in (readTable), and returns them in the order
// asked.
func scanChains(keys []chainKey) (map[chainKey][]entry, []chainKey, error) {
	read := map[string]*table{}
	have := map[chainKey][]entry{}
	var present []chainKey
	for _, k := range keys {
		t, ok := read[k.table]
		if !ok {
			var err error
			if t, err = readTable(k.table); err != nil {
				return nil, nil, err
			}
			read[k.table] = t
		}
		if !slices.Contains(t.chains, k.chain) {
			continue
		}
		present = append(present, k)
		have[k] = t.rules[k.chain]
	}
	return have, present, nil
}

// scan lists every chain of the managed tables. It returns each chain's
// rules and the chains in listing order (tables in the order of tables).
func scan() (map[chainKey][]entry, []chainKey, error) {
	have := map[chainKey][]entry{}
	var all []chainKey
	for _, name := range tables {
		t, err := readTable(name)
		if err != nil {
			return nil, nil, err
		}
		for _, c := range t.chains {
			k := chainKey{name, c}
			all = append(all, k)
			have[k] = t.rules[c]
		}
	}
	return have, all, nil
}

// table is one table as `iptables -S` prints it.
type table struct {
	chains []string           // in listing order: built-in ones (-P), then the others (-N)
	rules  map[string][]entry // per chain, in order
}

// readTable lists a whole table in one iptables run. go-iptables lists a
// chain per run, or every chain's name alone (its ListChains runs this
// very command and drops the rules): a status reads both tables of every
// host, and at a class's size a run per chain was most of class check's
// CPU. It runs on the calling thread, so in that thread's netns, as
// go-iptables' own runs do.
func readTable(name string) (*table, error) {
	path, err := exec.LookPath("iptables")
	if err != nil {
		return nil, fmt.Errorf("iptables: %w", err)
	}
	var out, stderr bytes.Buffer
	cmd := exec.Command(path, "-t", name, "-S", "--wait", strconv.Itoa(lockWait))
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("list %s chains: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return parseTable(out.String()), nil
}

// parseTable reads the output of `iptables -t TABLE -S`.
func parseTable(text string) *table {
	t := &table{rules: map[string][]entry{}}
	for _, l := range strings.Split(text, "\n") {
		if f := strings.Fields(l); len(f) >= 2 && (f[0] == "-P" || f[0] == "-N") {
			t.chains = append(t.chains, f[1])
			continue
		}
		if chain, e, ok := parseRule(l); ok {
			t.rules[chain] = append(t.rules[chain], e)
		}
	}
	return t
}

func owns(entries []entry, comment string) bool {
	return slices.ContainsFunc(entries, func(e entry) bool { return e.comment == comment })
}
