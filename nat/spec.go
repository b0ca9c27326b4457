package nat

import (
	"net/netip"
	"slices"
	"strings"
)

// entry is one rule of a chain as `iptables -S` printed it.
type entry struct {
	args    []string // the rule without "-A CHAIN", comment included: what -D needs
	comment string   // the first comment on the rule, "" if none
	spec    []string // canonical form without the comment: what is compared
}

// parseRule reads one line of `iptables -S CHAIN` output. Lines that are not
// rules (policies "-P", chain headers "-N", backend warnings "# ...") report
// ok == false.
func parseRule(line string) (chain string, e entry, ok bool) {
	f := fields(line)
	if len(f) < 2 || f[0] != "-A" {
		return "", entry{}, false
	}
	e.args = f[2:]
	e.comment = commentOf(e.args)
	e.spec = canonical(e.args)
	return f[1], e, true
}

// fields splits a line of `iptables -S` output into arguments. iptables
// quotes comments (always with nft, with spaces with legacy) and escapes '"'
// and '\' inside quotes; undoing that gives back the argument it was given.
func fields(line string) []string {
	var out []string
	var cur strings.Builder
	inQuote, inField := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '"':
			inQuote = !inQuote
			inField = true
		case !inQuote && (c == ' ' || c == '\t'):
			if inField {
				out = append(out, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteByte(c)
			inField = true
		}
	}
	if inField {
		out = append(out, cur.String())
	}
	return out
}

// commentOf returns the value of the first `-m comment --comment X`.
func commentOf(args []string) string {
	for i := 0; i+3 < len(args); i++ {
		if args[i] == "-m" && args[i+1] == "comment" && args[i+2] == "--comment" {
			return args[i+3]
		}
	}
	return ""
}

// longFlags maps the long spellings a caller may use to the short ones
// iptables prints, so a spec written either way compares equal.
var longFlags = map[string]string{
	"--source":        "-s",
	"--src":           "-s",
	"--destination":   "-d",
	"--dst":           "-d",
	"--in-interface":  "-i",
	"--out-interface": "-o",
	"--protocol":      "-p",
	"--jump":          "-j",
	"--goto":          "-g",
	"--match":         "-m",
}

// canonical returns args the way `iptables -S` prints them, minus any
// comment match, so that a wanted spec and a listed rule compare equal
// token by token. It only fixes what iptables rewrites for the rules ovslab
// writes (long flags, "/32" on bare addresses, unmasked prefixes); the
// order of matches is the caller's: iptables prints them in insertion
// order, except that it adds implicit matches (e.g. "-m tcp" after
// "-p tcp --dport"), which a caller must then spell out itself.
func canonical(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if s, ok := longFlags[a]; ok {
			a = s
		}
		if a == "-m" && i+1 < len(args) && args[i+1] == "comment" {
			i++
			for i+2 < len(args) && args[i+1] == "--comment" {
				i += 2
			}
			continue
		}
		out = append(out, a)
		if (a == "-s" || a == "-d") && i+1 < len(args) {
			i++
			out = append(out, canonicalAddr(args[i]))
		}
	}
	return out
}

// canonicalAddr writes an address or prefix as iptables prints it:
// 10.0.1.5 → 10.0.1.5/32, 10.0.1.5/24 → 10.0.1.0/24. Anything else (a
// dotted mask, a host name) is left alone.
func canonicalAddr(s string) string {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked().String()
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()).String()
	}
	return s
}

// withComment returns spec with the ownership comment placed just before
// the target, which is where iptables keeps it when it prints the rule back
// (matches are printed in insertion order, the target last).
func withComment(spec []string, comment string) []string {
	c := []string{"-m", "comment", "--comment", comment}
	i := slices.IndexFunc(spec, func(a string) bool {
		return a == "-j" || a == "-g" || a == "--jump" || a == "--goto"
	})
	if i < 0 {
		return append(slices.Clone(spec), c...)
	}
	return slices.Concat(spec[:i], c, spec[i:])
}

// hasComment reports whether spec already carries a comment match, which
// would clash with the ownership comment.
func hasComment(spec []string) bool {
	return slices.Contains(spec, "--comment")
}

// inPlace reports whether a chain already holds exactly the wanted rules
// for the lab: its rules (by comment), in order, equal want, and no rule
// without an ovslab comment sits above any of them. Other labs' rules may
// share the top of the chain: otherwise two labs on one machine would push
// each other down on every `up`.
func inPlace(entries []entry, comment string, want [][]string) bool {
	n, last := 0, -1
	for i, e := range entries {
		if e.comment != comment {
			continue
		}
		if n >= len(want) || !slices.Equal(e.spec, want[n]) {
			return false
		}
		n, last = n+1, i
	}
	if n != len(want) {
		return false
	}
	for _, e := range entries[:last+1] {
		if !strings.HasPrefix(e.comment, commentPrefix) {
			return false
		}
	}
	return true
}
