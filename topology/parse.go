package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// BuiltinPrefix marks the Source of a lab embedded in the binary, e.g.
// "builtin:l3-vxlan". Such a lab has no directory, so it cannot use build.
const BuiltinPrefix = "builtin:"

// maxFileSize bounds what Parse accepts: real topology files are a few
// kilobytes, and a bound keeps a hostile file cheap.
const maxFileSize = 1 << 20

// Load reads and parses the topology file at path, and checks that its
// build: directories exist on this machine. Relative build paths are
// resolved against the file's directory. All problems come back at once as an
// ErrorList (IsInvalid reports true for it, and for a file that cannot be read).
func Load(path string) (*Topology, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, ErrorList{readError(path, err)}
	}
	t, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	// Load reads the machine anyway: hold the file to it as well.
	if err := t.CheckBuildDirs(); err != nil {
		return nil, err
	}
	return t, nil
}

// ReadFile reads a topology file, but never more than one byte past the
// size Parse accepts: a device or a huge file given as a topology costs
// 1 MiB, and Parse reports it as too large.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxFileSize+1))
}

func readError(path string, err error) *Error { return kindReadError("topology", path, err) }

func kindReadError(kind, path string, err error) *Error {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = pe.Err.Error()
	}
	return &Error{File: path, Msg: "cannot read the " + kind + " file: " + msg, Err: err}
}

// Parse parses and validates a topology file held in memory. path names it in
// errors and becomes Source; Dir is its directory, or "" when path starts with
// BuiltinPrefix. On any problem Parse returns nil and an ErrorList holding
// every problem found, sorted by line.
func Parse(path string, data []byte) (*Topology, error) {
	p := &parser{
		file:   path,
		budget: maxNodes,
		pos:    map[string]position{},
		short:  map[string]bool{},
		bad:    map[string]bool{},
		kind:   "topology",
		needs:  "name and hosts",
	}
	root := p.decode(data)
	if root == nil {
		return nil, p.errs.err()
	}
	t := p.topology(root)
	t.Source = path
	t.Dir = dirOf(path)
	p.defaults(t)
	p.validate(t)
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	t.sort()
	return t, nil
}

func dirOf(path string) string {
	if strings.HasPrefix(path, BuiltinPrefix) {
		return ""
	}
	dir := "."
	if path != "" && path != "-" {
		dir = filepath.Dir(path)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// position is a place in the file, 1-based.
type position struct{ line, col int }

// parser walks one file. It never stops at the first problem: each error is
// recorded, the offending field is marked bad so that later checks that
// depend on it stay quiet, and the walk goes on.
type parser struct {
	file   string
	errs   ErrorList
	budget int                 // nodes left to visit: aliases must not make a small file expensive
	pos    map[string]position // field path → where it was written
	short  map[string]bool     // containers written in the one-interface form
	bad    map[string]bool     // fields already reported
	// kind and needs name the file in messages about the file as a whole
	// (a "topology" file needs "name and hosts"); ReadDoc reads others.
	kind, needs string
}

// Limits that keep a hostile file cheap: a file whose aliases expand past
// maxNodes visited nodes is refused, and reports stop after maxErrors.
const (
	maxNodes  = 100000
	maxErrors = 200
)

func (p *parser) errorf(at position, field, format string, args ...any) {
	p.bad[field] = true
	switch {
	case len(p.errs) > maxErrors:
		return
	case len(p.errs) == maxErrors:
		at, field, format, args = position{}, "", "too many errors; fix these first", nil
	}
	p.errs = append(p.errs, &Error{
		File: p.file, Line: at.line, Column: at.col, Field: field,
		Msg: fmt.Sprintf(format, args...),
	})
}

// spend counts one visited node, and reports (once) when the file's aliases
// expand too far to be a plausible topology.
func (p *parser) spend(n *yaml.Node) bool {
	p.budget--
	if p.budget == -1 {
		// Past the error cap too: this is the one error that explains the rest.
		at := posOf(n)
		p.errs = append(p.errs, &Error{File: p.file, Line: at.line, Column: at.col,
			Msg: fmt.Sprintf("file expands to more than %d YAML nodes (through aliases?); a topology is much smaller", maxNodes)})
	}
	return p.budget >= 0
}

// errAt reports a problem located at node n.
func (p *parser) errAt(n *yaml.Node, field, format string, args ...any) {
	p.errorf(posOf(n), field, format, args...)
}

// errField reports a problem at the recorded position of field (or of the
// nearest enclosing object, for fields filled in by defaults).
func (p *parser) errField(field, format string, args ...any) {
	p.errorf(p.at(field), field, format, args...)
}

func (p *parser) mark(field string, n *yaml.Node) { p.pos[field] = posOf(n) }

func (p *parser) at(field string) position {
	for f := field; f != ""; f = parentField(f) {
		if pos, ok := p.pos[f]; ok {
			return pos
		}
	}
	return position{}
}

// lineOf is the line of field, for messages that point at a first occurrence.
func (p *parser) lineOf(field string) string {
	if l := p.at(field).line; l > 0 {
		return fmt.Sprintf(" (line %d)", l)
	}
	return ""
}

func posOf(n *yaml.Node) position {
	if n == nil {
		return position{}
	}
	return position{n.Line, n.Column}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

func parentField(f string) string {
	if i := strings.LastIndexAny(f, ".["); i >= 0 {
		return f[:i]
	}
	return ""
}

// decode turns bytes into the document's root node, or reports why not.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	if len(data) > maxFileSize {
		p.errorf(position{}, "", "file is larger than %d bytes; a %s file is a few kilobytes", maxFileSize, p.kind)
		return nil
	}
	// yaml.v3 reports syntax errors as values, but a parser bug must not take
	// the CLI down with it: turn any panic into a file error.
	defer func() {
		if r := recover(); r != nil {
			p.errorf(position{}, "", "cannot parse YAML: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			p.errorf(position{}, "", "file is empty; it needs at least %s", p.needs)
		} else {
			p.yamlError(data, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.errAt(&extra, "", "a %s file holds one YAML document; found a second one", p.kind)
		return nil
	case err != io.EOF:
		p.yamlError(data, err)
		return nil
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.errorf(position{}, "", "file is empty; it needs at least %s", p.needs)
		return nil
	}
	return resolve(doc.Content[0])
}

// resolve follows aliases (*name) to the node they stand for. Anchored
// nodes are never aliases themselves, but a bound keeps a malformed tree
// from looping.
func resolve(n *yaml.Node) *yaml.Node {
	orig := n
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		at := posOf(orig)
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: at.line, Column: at.col}
	}
	return n
}
