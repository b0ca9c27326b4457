package topology

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem in a topology file. Line and Column locate the
// offending value (or key, for unknown and duplicate keys, or the enclosing
// object for a missing key).
type Error struct {
	File   string // as given to Parse: a path or "builtin:<lab>"
	Line   int    // 1-based; 0 when the problem has no position
	Column int    // 1-based; 0 when unknown
	Field  string // dotted path, e.g. networks.net1.vni; "" for the whole file
	Msg    string
	Err    error // underlying cause, e.g. from reading the file; may be nil
}

// Error formats the problem as file:line:col: field: message, leaving out
// the parts that are unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if e.Field != "" {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in one file, sorted by position.
type ErrorList []*Error

// Error prints one problem per line, in file order.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l.sorted() {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap exposes the individual errors to errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

func (l ErrorList) sorted() ErrorList {
	s := slices.Clone(l)
	slices.SortStableFunc(s, func(a, b *Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return s
}

// err returns the list sorted, or nil when it is empty, so that a caller never
// sees a non-nil error holding no problems.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	return l.sorted()
}

// IsInvalid reports whether err is a problem with a topology file (as
// opposed to, say, a failure to apply it). The CLI exits 2 on those.
func IsInvalid(err error) bool {
	var list ErrorList
	var one *Error
	return errors.As(err, &list) || errors.As(err, &one)
}
