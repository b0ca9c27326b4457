package trace

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/nat"
)

// flow is what an iptables rule can match a packet on.
type flow struct {
	src, dst  netip.Addr
	proto     string // icmp, udp, tcp
	sport     int
	dport     int
	in, out   string // interfaces; "" where the hook has none
	reply     bool   // conntrack sees it as ESTABLISHED (a reply), else NEW
	icmpReply bool   // an echo reply rather than a request
}

// verdict is where a packet's walk through a chain ended.
type verdict struct {
	target string // ACCEPT, DROP, REJECT, MASQUERADE, SNAT, ...; "" = fell off the end to the policy, which is in policy
	rule   string // the deciding rule as iptables -S prints it ("-A FORWARD ..."), "" for the policy
	chain  string // where the deciding rule is
	table  string
	unsure []string // DROP or REJECT rules that may match on what is not evaluated here
}

// dropped reports whether the verdict stops the packet.
func (v verdict) dropped() bool { return v.target == "DROP" || v.target == "REJECT" }

// walkChain follows f through chain of table and the chains it jumps to,
// as the kernel would: the first terminating rule decides, else the
// built-in chain's policy.
func walkChain(chains map[nat.ChainRef]*nat.Chain, table, chain string, f flow) verdict {
	v := verdict{table: table}
	t, rule, at := walkRules(chains, table, chain, f, &v, 0)
	if t == "" || t == "RETURN" {
		c := chains[nat.ChainRef{Table: table, Chain: chain}]
		if c != nil && c.Policy != "" {
			v.target, v.chain = c.Policy, chain
			return v
		}
		v.target = "ACCEPT"
		return v
	}
	v.target, v.rule, v.chain = t, rule, at
	return v
}

// walkRules returns the terminating target f meets in chain (or a
// chain it jumps to), "" when it falls off the end or RETURNs.
func walkRules(chains map[nat.ChainRef]*nat.Chain, table, chain string, f flow, v *verdict, depth int) (target, rule, at string) {
	c := chains[nat.ChainRef{Table: table, Chain: chain}]
	if c == nil || depth > 16 {
		return "", "", ""
	}
	for _, r := range c.Rules {
		m, why := matches(r, f)
		t := nat.Target(r)
		text := "-A " + chain + " " + strings.Join(quoteArgs(r), " ")
		if m == maybe {
			if t == "DROP" || t == "REJECT" {
				v.unsure = append(v.unsure, fmt.Sprintf("%s (not evaluated: %s)", text, why))
			}
			continue
		}
		if m == no {
			continue
		}
		switch t {
		case "ACCEPT", "DROP", "REJECT", "MASQUERADE", "SNAT", "DNAT", "REDIRECT":
			return t, text, chain
		case "RETURN":
			return "", "", ""
		case "":
			continue
		}
		if _, ok := chains[nat.ChainRef{Table: table, Chain: t}]; !ok {
			continue // LOG, MARK and other non-terminating extensions
		}
		sub, srule, sat := walkRules(chains, table, t, f, v, depth+1)
		goto_ := slices.Contains(r, "-g")
		switch {
		case sub != "":
			return sub, srule, sat
		case goto_:
			return "", "", "" // a goto's chain returns to our caller
		}
	}
	return "", "", ""
}

type match int

const (
	no match = iota
	yes
	maybe
)

// matches reads one rule's matches against f: no, yes, or maybe when the
// rule uses a match this reader does not evaluate (why says which).
func matches(r []string, f flow) (match, string) {
	res := yes
	why := ""
	neg := false
	proto := ""
	for i := 0; i < len(r); i++ {
		a := r[i]
		arg := func() string {
			if i+1 < len(r) {
				i++
				return r[i]
			}
			return ""
		}
		var ok bool
		switch a {
		case "!":
			neg = true
			continue
		case "-s":
			ok = inPrefix(f.src, arg())
		case "-d":
			ok = inPrefix(f.dst, arg())
		case "-i":
			ok = ifMatch(f.in, arg())
		case "-o":
			ok = ifMatch(f.out, arg())
		case "-p":
			proto = arg()
			ok = protoMatch(f.proto, proto)
		case "-m":
			arg() // the module's options follow as their own flags
			neg = false
			continue
		case "--comment":
			arg()
			neg = false
			continue
		case "--dport", "--destination-port":
			ok = portMatch(f.dport, arg())
		case "--sport", "--source-port":
			ok = portMatch(f.sport, arg())
		case "--dports", "--destination-ports":
			ok = portsMatch(f.dport, arg())
		case "--sports", "--source-ports":
			ok = portsMatch(f.sport, arg())
		case "--ctstate", "--state":
			ok = stateMatch(f.reply, arg())
		case "--icmp-type":
			ok = icmpMatch(f.icmpReply, arg())
		case "-j", "-g":
			return res, why // the target and its options end the matches
		default:
			if strings.HasPrefix(a, "-") {
				res, why = maybe, a
				for i+1 < len(r) && !strings.HasPrefix(r[i+1], "-") {
					i++
				}
			}
			neg = false
			continue
		}
		if ok == neg {
			return no, ""
		}
		neg = false
	}
	return res, why
}

func inPrefix(a netip.Addr, s string) bool {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Contains(a)
	}
	b, err := netip.ParseAddr(s)
	return err == nil && a == b
}

func ifMatch(name, pat string) bool {
	if p, ok := strings.CutSuffix(pat, "+"); ok {
		return strings.HasPrefix(name, p)
	}
	return name == pat
}

func protoMatch(p, want string) bool {
	switch want {
	case "all", "0":
		return true
	case "1":
		want = "icmp"
	case "6":
		want = "tcp"
	case "17":
		want = "udp"
	}
	return p == want
}

func portMatch(p int, spec string) bool {
	lo, hi, ok := strings.Cut(spec, ":")
	a, err := strconv.Atoi(lo)
	if err != nil {
		a = 0
	}
	if !ok {
		return p == a && p != 0
	}
	b, err := strconv.Atoi(hi)
	if err != nil || hi == "" {
		b = 65535
	}
	return p >= a && p <= b && p != 0
}

func portsMatch(p int, list string) bool {
	for _, s := range strings.Split(list, ",") {
		if portMatch(p, s) {
			return true
		}
	}
	return false
}

func stateMatch(reply bool, states string) bool {
	for _, s := range strings.Split(states, ",") {
		if (s == "ESTABLISHED" || s == "RELATED") && reply || s == "NEW" && !reply {
			return true
		}
	}
	return false
}

func icmpMatch(reply bool, t string) bool {
	switch t {
	case "any":
		return true
	case "echo-request", "8":
		return !reply
	case "echo-reply", "0":
		return reply
	}
	return false
}

// quoteArgs quotes arguments with spaces, as iptables -S prints them.
func quoteArgs(r []string) []string {
	out := make([]string, len(r))
	for i, a := range r {
		if strings.ContainsAny(a, " \t\"") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return out
}

// deleteCommand is the iptables command that removes rule ("-A CHAIN ...").
func deleteCommand(table, rule string) string {
	cmd := "iptables"
	if table != "filter" {
		cmd += " -t " + table
	}
	return cmd + " -D" + strings.TrimPrefix(rule, "-A")
}
