package main

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/check"
)

// junitDoc is JUnit XML as a CI system reads it back.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			ClassName string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not JUnit XML: %v\n%s", err, data)
	}
	return doc
}

func TestJUnit(t *testing.T) {
	rep := &check.Report{Lab: "lab", Results: []check.Result{
		{Kind: "ping", From: "a", To: "b (10.0.1.2)", OK: true, Detail: "56 bytes, 0.1ms"},
		{Kind: "pmtu", From: "a", To: "b (10.0.1.2)", Detail: "no reply to 1500-byte DF packets"},
		{Kind: "expect", From: "a", To: "c (10.0.2.3)", Want: "reach: false", Detail: "10.0.2.3 replied in 0.2ms",
			Message: `net1 & net2 are "separate" <L2>`},
		{Kind: "expect", From: "a", To: "c (10.0.2.3)", Want: "reach: false", OK: true, Detail: "no reply"},
		{Kind: "expect", From: "a", To: "wan (198.51.100.1)", Want: "reach: true", OK: true, Skipped: true, Detail: "only emulated labs"},
	}}
	var b bytes.Buffer
	if err := writeJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, b.Bytes())
	if doc.Tests != 5 || doc.Failures != 2 || doc.Skipped != 1 {
		t.Errorf("tests/failures/skipped = %d/%d/%d, want 5/2/1\n%s", doc.Tests, doc.Failures, doc.Skipped, b.String())
	}
	var names []string
	for _, s := range doc.Suites {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "lab.ping lab.pmtu lab.expect" {
		t.Errorf("suites %q, want one per kind in report order", got)
	}
	exp := doc.Suites[2]
	if exp.Tests != 3 || exp.Failures != 1 {
		t.Errorf("expect suite: %d tests, %d failures; want 3, 1", exp.Tests, exp.Failures)
	}
	fail := exp.Cases[0]
	if fail.Name != "a -> c (10.0.2.3): reach: false" || fail.ClassName != "lab.expect" {
		t.Errorf("failing case named %q (class %q)", fail.Name, fail.ClassName)
	}
	if fail.Failure == nil || fail.Failure.Message != `net1 & net2 are "separate" <L2>` ||
		!strings.Contains(fail.Failure.Text, "replied in 0.2ms") || !strings.Contains(fail.Failure.Text, "separate") {
		t.Errorf("failure = %+v, want the author's message and the evidence", fail.Failure)
	}
	if second := exp.Cases[1]; second.Name != "a -> c (10.0.2.3): reach: false #2" || second.Failure != nil {
		t.Errorf("a second case of the same name: %q failure %v; want a distinct name and no failure", second.Name, second.Failure)
	}
	if sk := exp.Cases[2]; sk.Skipped == nil || sk.Failure != nil || sk.Skipped.Message != "only emulated labs" {
		t.Errorf("skipped case = %+v", sk)
	}
	if f := doc.Suites[1].Cases[0].Failure; f == nil || f.Message != "no reply to 1500-byte DF packets" {
		t.Errorf("a probe's failure carries its detail as message, got %+v", f)
	}
}
