package class

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/check"
)

// Gradebook is a class's check as a table: a row per student, a column
// per check. Every copy is the same lab, so the same check has the same
// name in every report: columns follow the first report's order, with
// checks only some copies have (a stopped container's probes) after.
type Gradebook struct {
	Class   string
	Columns []Column
	Rows    []Row
}

// Column is one check: a probe or an expect: entry.
type Column struct {
	Kind string // check.Result.Kind, "expect" for an expect: entry
	Name string // from -> to, and what an expect: entry wants
}

// Title is the column's heading: kind and name.
func (c Column) Title() string { return c.Kind + ": " + c.Name }

// Grade is one cell: how one check went for one student.
type Grade int

// Grades.
const (
	NotGraded Grade = iota // the copy was not graded, or had no such check
	Pass
	Fail
	Skip // not graded from this machine
)

// Row is one student's grades.
type Row struct {
	Student, Lab            string
	Grades                  []Grade // one per column
	Passed, Failed, Skipped int
	Error                   string // why the copy was not graded
}

// columnOf names a result's column: its kind, ends, and for an expect:
// entry what it wants (one pair may carry several). A host's check is the
// host: its other end is the copy's own OVSDB.
func columnOf(r check.Result) Column {
	if r.Kind == check.KindHost {
		return Column{Kind: r.Kind, Name: r.From}
	}
	c := Column{Kind: r.Kind, Name: r.From + " -> " + r.To}
	if r.Want != "" {
		c.Name += " " + r.Want
	}
	return c
}

// NewGradebook tabulates a class's check.
func NewGradebook(class string, graded []Graded) *Gradebook {
	g := &Gradebook{Class: class}
	index := map[Column]int{}
	for _, gr := range graded {
		if gr.Report == nil {
			continue
		}
		seen := map[Column]int{}
		for _, r := range gr.Report.Results {
			col := numbered(columnOf(r), seen)
			if _, ok := index[col]; !ok {
				index[col] = len(g.Columns)
				g.Columns = append(g.Columns, col)
			}
		}
	}
	for _, gr := range graded {
		row := Row{Student: gr.Student, Lab: gr.Lab, Grades: make([]Grade, len(g.Columns))}
		if gr.Err != nil {
			row.Error = gr.Err.Error()
		}
		if gr.Report != nil {
			seen := map[Column]int{}
			for _, r := range gr.Report.Results {
				i := index[numbered(columnOf(r), seen)]
				switch {
				case r.Skipped:
					row.Grades[i], row.Skipped = Skip, row.Skipped+1
				case r.OK:
					row.Grades[i], row.Passed = Pass, row.Passed+1
				default:
					row.Grades[i], row.Failed = Fail, row.Failed+1
				}
			}
		}
		g.Rows = append(g.Rows, row)
	}
	return g
}

// numbered tells apart two checks of one report with the same name, as
// the JUnit output does: the second is "NAME #2".
func numbered(c Column, seen map[Column]int) Column {
	n := seen[c]
	seen[c]++
	if n > 0 {
		c.Name = fmt.Sprintf("%s #%d", c.Name, n+1)
	}
	return c
}

// WriteCSV writes the gradebook as CSV (RFC 4180) a spreadsheet opens:
// student, lab, passed, failed, graded (passed + failed), score (the
// percentage passed) and error, then a column per check holding 1
// (passed), 0 (failed) or nothing (skipped, or not graded). Text from
// files that a spreadsheet would run as a formula is quoted with a
// leading apostrophe.
func (g *Gradebook) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"student", "lab", "passed", "failed", "graded", "score", "error"}
	for _, c := range g.Columns {
		head = append(head, cell(c.Title()))
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range g.Rows {
		score := ""
		if graded := r.Passed + r.Failed; graded > 0 {
			score = strconv.FormatFloat(100*float64(r.Passed)/float64(graded), 'f', 1, 64)
		}
		rec := []string{cell(r.Student), cell(r.Lab), strconv.Itoa(r.Passed), strconv.Itoa(r.Failed), strconv.Itoa(r.Passed + r.Failed), score, cell(r.Error)}
		for _, gr := range r.Grades {
			rec = append(rec, map[Grade]string{Pass: "1", Fail: "0"}[gr])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// cell guards text against CSV formula injection (OWASP): a cell a
// spreadsheet would evaluate, starting with = + - @ or a tab or carriage
// return, is prefixed with an apostrophe so it shows as text.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
