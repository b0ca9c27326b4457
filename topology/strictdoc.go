package topology

import (
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a place in a file, 1-based; zero when unknown.
type Pos struct{ Line, Column int }

// Doc is a small YAML file other than a topology (a class file), read by
// the topology file's rules: one document, a mapping of known keys only,
// no duplicate keys, values of the type asked for, a bound on size and on
// aliases, and every problem reported with file, line and column.
type Doc struct {
	p   *parser
	obj *object // nil when the file is not a mapping
}

// ReadDoc reads data, the text of file, as a kind file ("class") that may
// hold only keys; needs names what an empty one lacks. Problems are
// collected, never returned early: Err lists them all.
func ReadDoc(file, kind, needs string, data []byte, keys ...string) *Doc {
	p := &parser{
		file: file, budget: maxNodes, kind: kind, needs: needs,
		pos: map[string]position{}, short: map[string]bool{}, bad: map[string]bool{},
	}
	d := &Doc{p: p}
	root := p.decode(data)
	if root == nil {
		return d
	}
	if root.Kind != yaml.MappingNode {
		p.errAt(root, "", "a %s file is a mapping with %s; found %s", kind, strings.Join(keys, ", "), describe(root))
		return d
	}
	d.obj, _ = p.object(root, nil, "", keys...)
	return d
}

// LoadDoc is ReadDoc of the file at path, read up to the topology file's
// size limit.
func LoadDoc(path, kind, needs string, keys ...string) *Doc {
	data, err := readLimited(path)
	if err != nil {
		p := &parser{file: path, kind: kind, needs: needs}
		p.errs = ErrorList{kindReadError(kind, path, err)}
		return &Doc{p: p}
	}
	return ReadDoc(path, kind, needs, data, keys...)
}

// ReadLimited reads the kind file ("roster") at path, refusing one over
// the topology file's size limit, so that files named by other files stay
// as cheap to read as a topology. Its error is an ErrorList, like a
// file's problems.
func ReadLimited(path, kind string) ([]byte, error) {
	data, err := readLimited(path)
	switch {
	case err != nil:
		return nil, ErrorList{kindReadError(kind, path, err)}
	case len(data) > maxFileSize:
		return nil, ErrorList{{File: path, Msg: fmt.Sprintf("file is larger than %d bytes; a %s file is a few kilobytes", maxFileSize, kind)}}
	}
	return data, nil
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxFileSize+1))
}

// Read reports whether the file was read as a mapping of keys: when it
// was not, Err says why, and every key reads as absent.
func (d *Doc) Read() bool { return d.obj != nil }

// Has reports whether key was written at all, even without a value.
func (d *Doc) Has(key string) bool { return d.obj != nil && d.obj.has(key) }

// At is where key was written, or where the document starts.
func (d *Doc) At(key string) Pos {
	if d.obj != nil {
		if f, ok := d.obj.m[key]; ok {
			return Pos{f.key.Line, f.key.Column}
		}
		return Pos{d.obj.anchor.Line, d.obj.anchor.Column}
	}
	return Pos{}
}

// String reads key's value as text. A missing key is reported when
// required; ok is false when the value is absent or not text.
func (d *Doc) String(key string, required bool) (s string, at Pos, ok bool) {
	f, ok := d.field(key, required)
	if !ok {
		return "", Pos{}, false
	}
	s, ok = d.p.str(f, key)
	return s, Pos{f.val.Line, f.val.Column}, ok
}

// Item is one entry of a list, with where it was written.
type Item struct {
	Value string
	Pos
}

// Strings reads key's value as a list of text entries; ok is false when
// the key is absent or the value is not such a list.
func (d *Doc) Strings(key string) (items []Item, ok bool) {
	f, ok := d.field(key, false)
	if !ok {
		return nil, false
	}
	vals, ok := d.p.stringList(f, key)
	if !ok {
		return nil, false
	}
	for i, v := range vals {
		n := resolve(f.val.Content[i])
		items = append(items, Item{Value: v, Pos: Pos{n.Line, n.Column}})
	}
	return items, true
}

func (d *Doc) field(key string, required bool) (field, bool) {
	if d.obj == nil {
		return field{}, false
	}
	if required {
		return d.p.required(d.obj, key)
	}
	return d.obj.get(key)
}

// Errorf records a problem at a place in the file, naming field.
func (d *Doc) Errorf(at Pos, field, format string, args ...any) {
	d.p.errorf(position{at.Line, at.Column}, field, format, args...)
}

// Err is every problem found, sorted by place, as an ErrorList; nil if
// there is none.
func (d *Doc) Err() error { return d.p.errs.err() }
