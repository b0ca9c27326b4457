package topology

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// field is one key: value pair of a YAML mapping, aliases resolved.
type field struct {
	name string
	key  *yaml.Node
	val  *yaml.Node
}

// object is a mapping with a fixed set of keys, read for one schema object.
type object struct {
	path   string
	anchor *yaml.Node // where a missing key is reported: the object's key
	m      map[string]field
	// misspelt are the allowed keys an unknown key was taken for ("did
	// you mean"): that error already says the key is missing.
	misspelt map[string]bool
}

// object reads mapping n at path, reporting unknown and duplicate keys.
// anchor is the node that names the object (its key), or nil for n itself.
func (p *parser) object(n, anchor *yaml.Node, path string, allowed ...string) (*object, bool) {
	if anchor == nil {
		anchor = n
	}
	if n.Kind != yaml.MappingNode {
		p.errAt(n, path, "expected a mapping with %s, found %s", strings.Join(allowed, ", "), describe(n))
		return nil, false
	}
	o := &object{path: path, anchor: anchor, m: map[string]field{}, misspelt: map[string]bool{}}
	for _, f := range p.pairs(n, path) {
		switch {
		case !contains(allowed, f.name):
			p.errAt(f.key, join(path, f.name), "%s", unknownKey(f.name, allowed))
			if s := suggest(f.name, allowed); s != "" {
				o.misspelt[s] = true
			}
		case o.m[f.name].key != nil:
			p.errAt(f.key, join(path, f.name), "duplicate key %q; first given at line %d", f.name, o.m[f.name].key.Line)
		default:
			o.m[f.name] = f
		}
	}
	return o, true
}

// pairs lists the entries of mapping n, reporting keys that are not plain
// scalars.
func (p *parser) pairs(n *yaml.Node, path string) []field {
	var out []field
	for i := 0; i+1 < len(n.Content) && p.spend(n); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		switch {
		case k.Kind != yaml.ScalarNode:
			p.errAt(k, path, "keys must be plain names, found %s", describe(k))
		case k.ShortTag() == "!!merge":
			p.errAt(k, join(path, k.Value), "merge keys (<<) are not supported; write the keys out or use an alias per value")
		default:
			out = append(out, field{name: k.Value, key: k, val: v})
		}
	}
	return out
}

// entries reads a mapping of user-named objects (hosts, networks,
// containers) in file order, reporting duplicate names. A null section is
// empty.
func (p *parser) entries(n *yaml.Node, path, what string) []field {
	if isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		p.errAt(n, path, "expected a mapping of %s names to %s settings, found %s", what, what, describe(n))
		return nil
	}
	seen := map[string]*yaml.Node{}
	var out []field
	for _, f := range p.pairs(n, path) {
		if first := seen[f.name]; first != nil {
			p.errAt(f.key, join(path, f.name), "duplicate %s %q; first defined at line %d", what, f.name, first.Line)
			continue
		}
		seen[f.name] = f.key
		p.mark(join(path, f.name), f.key)
		out = append(out, f)
	}
	return out
}

// get returns key's entry when it is present and not null: an explicit null
// for an optional key means "not given".
func (o *object) get(key string) (field, bool) {
	f, ok := o.m[key]
	return f, ok && !isNull(f.val)
}

// has reports whether key was written at all, even as null.
func (o *object) has(key string) bool { _, ok := o.m[key]; return ok }

// required returns key's entry, or reports it missing.
func (p *parser) required(o *object, key string) (field, bool) {
	f, ok := o.m[key]
	path := join(o.path, key)
	switch {
	case !ok && o.misspelt[key]:
		p.bad[path] = true // reported as the misspelling
		return f, false
	case !ok:
		p.errAt(o.anchor, path, "missing required field %q", key)
		return f, false
	case isNull(f.val):
		p.errAt(f.key, path, "%q has no value", key)
		return f, false
	}
	return f, true
}

// str reads a scalar as text. Numbers are accepted as written (a name may
// be "1"), but booleans, nulls and collections are type errors.
func (p *parser) str(f field, path string) (string, bool) {
	p.mark(path, f.val)
	switch f.val.ShortTag() {
	case "!!str", "!!int", "!!float":
		if f.val.Kind == yaml.ScalarNode {
			return f.val.Value, true
		}
	}
	p.errAt(f.val, path, "expected a string, found %s", describe(f.val))
	return "", false
}

// integer reads an integer in [lo, hi].
func (p *parser) integer(f field, path string, lo, hi int64) (int64, bool) {
	p.mark(path, f.val)
	if f.val.Kind != yaml.ScalarNode || f.val.ShortTag() != "!!int" {
		p.errAt(f.val, path, "expected an integer, found %s", describe(f.val))
		return 0, false
	}
	var v int64
	if err := f.val.Decode(&v); err != nil {
		p.errAt(f.val, path, "%s is not an integer in range %d..%d", f.val.Value, lo, hi)
		return 0, false
	}
	if v < lo || v > hi {
		p.errAt(f.val, path, "%d is out of range %d..%d", v, lo, hi)
		return 0, false
	}
	return v, true
}

// boolean reads true or false.
func (p *parser) boolean(f field, path string) (bool, bool) {
	p.mark(path, f.val)
	var v bool
	if f.val.Kind != yaml.ScalarNode || f.val.ShortTag() != "!!bool" || f.val.Decode(&v) != nil {
		p.errAt(f.val, path, "expected true or false, found %s", describe(f.val))
		return false, false
	}
	return v, true
}

// stringList reads a list of strings.
func (p *parser) stringList(f field, path string) ([]string, bool) {
	p.mark(path, f.val)
	if f.val.Kind != yaml.SequenceNode {
		p.errAt(f.val, path, "expected a list of strings, found %s", describe(f.val))
		return nil, false
	}
	out := make([]string, 0, len(f.val.Content))
	ok := true
	for i, n := range f.val.Content {
		if !p.spend(n) {
			return nil, false
		}
		s, good := p.str(field{val: resolve(n)}, index(path, i))
		out = append(out, s)
		ok = ok && good
	}
	return out, ok
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a node holds, for "expected X, found Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		switch n.ShortTag() {
		case "!!str":
			return fmt.Sprintf("the string %q", v)
		case "!!int":
			return "the integer " + v
		case "!!float":
			return "the number " + v
		case "!!bool":
			return "the boolean " + v
		case "!!null":
			return "no value"
		}
		return fmt.Sprintf("%q tagged %s", v, n.Tag)
	}
	return "nothing"
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// unknownKey explains an unknown key, suggesting the closest allowed one.
func unknownKey(key string, allowed []string) string {
	if best := suggest(key, allowed); best != "" {
		return fmt.Sprintf("unknown field %q; did you mean %q?", key, best)
	}
	return fmt.Sprintf("unknown field %q; allowed here: %s", key, strings.Join(allowed, ", "))
}

// suggest is the allowed key closest to key, if one is close enough to be
// a typo of it.
func suggest(key string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := distance(strings.ToLower(key), a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

// distance is the Levenshtein distance, enough to catch a typo.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
