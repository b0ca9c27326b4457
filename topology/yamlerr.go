package topology

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yaml.v3 reports a syntax error with one line, which for a parser error
// is where the enclosing collection starts (0-based), not where it went
// wrong: a key appended under the last section of a file reads as an
// error at that section's first item. The functions below find the line
// that is wrong and say what to do about it.

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError records a syntax error of data, at the line that is wrong.
func (p *parser) yamlError(data []byte, err error) {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		p.errorf(position{}, "", "invalid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		return
	}
	reported, _ := strconv.Atoi(m[1])
	msg := m[2]
	lines := bytes.SplitAfter(data, []byte("\n"))
	line := badLine(lines, max(reported-1, 1), msg)
	if at, ok := tabIn(lines, line); ok {
		p.errorf(at, "", "invalid YAML: tabs are not allowed in YAML indentation; indent with spaces")
		return
	}
	at := position{line: line}
	switch {
	case strings.HasPrefix(msg, "did not find expected '-' indicator"):
		at.col = indentOf(lines, line) + 1
		msg = "this line is not a list item (\"- ...\"), yet it is indented inside the list" + sectionOf(lines, line, "under") +
			"; move it under the section it belongs to, indented like that section's entries"
	case strings.HasPrefix(msg, "did not find expected key"):
		at.col = indentOf(lines, line) + 1
		msg = "this line's indentation matches none of the keys above it" + sectionOf(lines, line, "inside") +
			"; indent it exactly like the entries it belongs with"
	}
	p.errorf(at, "", "invalid YAML: %s", msg)
}

// badLine is the first line (1-based, from from on) where the file cut
// after that line fails to parse with msg: a parser stops at its first
// error, so the shortest failing prefix ends at the line that is wrong.
// A binary search keeps a large file cheap; where none fails alike (the
// cut itself makes another error), the file's last line is the answer.
func badLine(lines [][]byte, from int, msg string) int {
	n := len(lines)
	if from > n {
		return max(n, 1)
	}
	k := sort.Search(n-from+1, func(i int) bool {
		var doc yaml.Node
		err := yaml.Unmarshal(bytes.Join(lines[:from+i], nil), &doc)
		m := yamlLine.FindStringSubmatch(fmt.Sprint(err))
		return m != nil && m[2] == msg
	})
	return min(from+k, n)
}

// tabIn finds a tab in the leading whitespace of the given line or of any
// line before it: YAML never allows one there, and yaml.v3 words that as
// "found character that cannot start any token" or names no column.
func tabIn(lines [][]byte, upto int) (position, bool) {
	for i := 0; i < upto && i < len(lines); i++ {
		lead := lines[i][:len(lines[i])-len(bytes.TrimLeft(lines[i], " \t"))]
		if j := bytes.IndexByte(lead, '\t'); j >= 0 {
			return position{line: i + 1, col: j + 1}, true
		}
	}
	return position{}, false
}

// indentOf is the number of spaces before line's first character.
func indentOf(lines [][]byte, line int) int {
	if line < 1 || line > len(lines) {
		return 0
	}
	l := lines[line-1]
	return len(l) - len(bytes.TrimLeft(l, " "))
}

// sectionOf names the nearest key above line that is indented less than
// line, e.g. " under expect: (line 52)" for how "under", or "" when there
// is none.
func sectionOf(lines [][]byte, line int, how string) string {
	ind := indentOf(lines, line)
	for i := line - 2; i >= 0; i-- {
		l := bytes.TrimRight(lines[i], " \r\n")
		text := bytes.TrimLeft(l, " ")
		if len(text) == 0 || text[0] == '#' || len(l)-len(text) >= ind {
			continue
		}
		if key, _, ok := bytes.Cut(text, []byte(":")); ok && !bytes.HasPrefix(text, []byte("-")) {
			return fmt.Sprintf(" %s %s: (line %d)", how, key, i+1)
		}
		return ""
	}
	return ""
}
