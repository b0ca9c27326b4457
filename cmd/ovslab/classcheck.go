package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/class"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newClassCheck() *cobra.Command {
	var o class.CheckOptions
	var output string
	c := &cobra.Command{
		Use:   "check CLASS.yaml|CLASS [-o text|json|junit|csv] [--full]",
		Short: "Grade every student's copy at once; exit 1 unless all pass",
		Long: `check grades every student's copy as ovslab check grades a lab (each
copy's last check is kept, for graph --check and the class's board),
--parallel copies at a time. The text is a table, a row per student and
a mark per check (. passed, X failed, s skipped), wrapped to the
terminal, then each check someone failed and who. -o json is every
copy's report; -o junit is JUnit XML with one test suite per student;
-o csv is a gradebook for a spreadsheet: a row per student with passed,
failed, graded and score (percent), then a column per check (1 passed,
0 failed, empty if skipped or not graded). Exit 0 when every copy passed
every check, 1 otherwise.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch output {
			case "", "text", "json", "junit", "csv":
			default:
				return usageError{fmt.Errorf("-o %s: want text, json, junit or csv", output)}
			}
			cl, err := classAsRoot(cmd, args[0], readsMachine+", and sends probes from inside the labs")
			if err != nil {
				return err
			}
			o.Progress = progress
			graded, err := class.Check(cmd.Context(), cl, o)
			if err != nil {
				return err
			}
			book := class.NewGradebook(cl.Name, graded)
			switch output {
			case "json":
				err = writeJSON(os.Stdout, classCheckJSON(cl, graded))
			case "junit":
				err = writeClassJUnit(os.Stdout, cl, graded)
			case "csv":
				err = book.WriteCSV(os.Stdout)
			default:
				printGradebook(os.Stdout, book, termWidth(os.Stdout))
			}
			if err == nil && !allPassed(graded) {
				return exitError{exitFail}
			}
			return err
		},
	}
	c.Flags().StringVarP(&output, "output", "o", "", "output format: text, json, junit or csv")
	c.Flags().BoolVar(&o.Full, "full", false, "probe every pair of containers in every copy")
	c.Flags().IntVar(&o.Parallel, "parallel", 0, fmt.Sprintf("copies graded at once (default %d)", class.DefaultCheckParallel))
	return c
}

func allPassed(graded []class.Graded) bool {
	for _, g := range graded {
		if g.Err != nil || g.Report == nil || !g.Report.OK {
			return false
		}
	}
	return true
}

// classCheckJSON is what -o json prints: the class's verdict and each
// copy's, with its report as ovslab check -o json prints it.
func classCheckJSON(cl *class.Class, graded []class.Graded) any {
	type copyJSON struct {
		Student string        `json:"student"`
		Lab     string        `json:"lab"`
		OK      bool          `json:"ok"`
		Passed  int           `json:"passed"`
		Failed  int           `json:"failed"`
		Skipped int           `json:"skipped"`
		Error   string        `json:"error,omitempty"`
		Report  *check.Report `json:"report,omitempty"`
	}
	out := struct {
		Class    string     `json:"class"`
		OK       bool       `json:"ok"`
		Students []copyJSON `json:"students"`
	}{Class: cl.Name, OK: allPassed(graded), Students: []copyJSON{}}
	for _, g := range graded {
		c := copyJSON{Student: g.Student, Lab: g.Lab, Report: g.Report}
		if g.Err != nil {
			c.Error = g.Err.Error()
		}
		if g.Report != nil {
			c.OK = g.Report.OK
			c.Passed, c.Failed, c.Skipped = g.Report.Counts()
		}
		out.Students = append(out.Students, c)
	}
	return out
}

// writeClassJUnit writes one test suite per student, named after the
// student, with a test case per check as check -o junit has; a copy that
// could not be graded is one case in error.
func writeClassJUnit(w io.Writer, cl *class.Class, graded []class.Graded) error {
	doc := junitSuites{Name: "ovslab class check " + cl.Name}
	for _, g := range graded {
		s := junitSuite{Name: g.Student}
		if g.Err != nil {
			s.Tests, s.Errors = 1, 1
			s.Cases = []junitCase{{Name: "grade " + g.Lab, ClassName: g.Student, Error: &junitFailure{Message: g.Err.Error(), Type: "not graded", Text: g.Err.Error()}}}
		} else {
			seen := map[string]int{}
			for _, r := range g.Report.Results {
				name := uniqueCaseName(seen, r.Kind, r)
				s.add(junitCase{Name: r.Kind + ": " + name, ClassName: g.Student + "." + r.Kind}, r)
			}
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures + s.Errors
		doc.Skipped += s.Skipped
		doc.Suites = append(doc.Suites, s)
	}
	return doc.encode(w)
}

// termWidth is the width of the terminal w is, or 100 when it is not one
// (a file keeps the table readable too).
func termWidth(w *os.File) int {
	if isTerminal(w) {
		if cols, _, err := term.GetSize(int(w.Fd())); err == nil && cols > 20 {
			return cols
		}
	}
	return 100
}

// marks are a gradebook's grades as one character each.
var marks = map[class.Grade]byte{class.NotGraded: ' ', class.Pass: '.', class.Fail: 'X', class.Skip: 's'}

// printGradebook prints the student × check table within width columns:
// a row per student, a mark per check in groups of ten, wrapped under
// itself when the checks do not fit; then every check someone failed,
// with who.
func printGradebook(w io.Writer, g *class.Gradebook, width int) {
	nameW, labW := len("STUDENT"), len("LAB")
	for _, r := range g.Rows {
		nameW, labW = max(nameW, len(r.Student)), max(labW, len(r.Lab))
	}
	left := nameW + 2 + labW + 2 + len("PASSED") + 2
	groups := max(1, (width-left+1)/11)
	perLine := groups * 10
	fmt.Fprintf(w, "%-*s  %-*s  %-6s  CHECKS 1-%d\n", nameW, "STUDENT", labW, "LAB", "PASSED", len(g.Columns))
	passedAll := 0
	for _, r := range g.Rows {
		passed := "-"
		if r.Error == "" {
			passed = fmt.Sprintf("%d/%d", r.Passed, r.Passed+r.Failed)
			if r.Failed == 0 {
				passedAll++
			}
		}
		lines := markLines(r.Grades, perLine)
		if r.Error != "" {
			lines = []string{r.Error}
		}
		for i, l := range lines {
			if i == 0 {
				fmt.Fprintf(w, "%-*s  %-*s  %-6s  %s\n", nameW, r.Student, labW, r.Lab, passed, l)
			} else {
				fmt.Fprintf(w, "%*s  %s\n", left-2, "", l)
			}
		}
	}
	var failing []string
	for i, c := range g.Columns {
		var who []string
		for _, r := range g.Rows {
			if r.Grades[i] == class.Fail {
				who = append(who, r.Student)
			}
		}
		if len(who) > 0 {
			failing = append(failing, fmt.Sprintf("%4d  %s\t%s", i+1, c.Title(), strings.Join(who, ", ")))
		}
	}
	fmt.Fprintln(w, "(. passed, X failed, s skipped)")
	if len(failing) > 0 {
		fmt.Fprintln(w, "\nfailed checks (ovslab check LAB shows why):")
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, f := range failing {
			fmt.Fprintln(tw, f)
		}
		tw.Flush()
		for _, l := range strings.SplitAfter(b.String(), "\n") {
			if len(l) > width+1 {
				l = l[:width-1] + "…\n"
			}
			io.WriteString(w, l)
		}
	}
	fmt.Fprintf(w, "class %s: %d of %d copies passed all %d checks\n", g.Class, passedAll, len(g.Rows), len(g.Columns))
}

// markLines are grades as marks, in groups of ten, perLine a line.
func markLines(grades []class.Grade, perLine int) []string {
	var lines []string
	for start := 0; start < len(grades); start += perLine {
		var b strings.Builder
		for i := start; i < min(start+perLine, len(grades)); i++ {
			if i > start && (i-start)%10 == 0 {
				b.WriteByte(' ')
			}
			b.WriteByte(marks[grades[i]])
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	if len(lines) == 0 {
		lines = []string{""}
	}
	return lines
}
