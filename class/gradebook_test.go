package class

import (
	"bytes"
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/check"
)

func TestGradebookCSV(t *testing.T) {
	ping := check.Result{Kind: check.KindPing, From: "doc1", To: "doc3 (10.0.1.20)", OK: true}
	exp := check.Result{Kind: check.KindExpect, From: `doc,1 "a"`, To: "=HYPERLINK(\"http://x\")", Want: "reach: false", OK: true}
	skipped := check.Result{Kind: check.KindExpect, From: "doc1", To: "doc4", Want: "mtu: 1500", OK: true, Skipped: true}
	// A host's check names the copy's own OVSDB: one column for all.
	hostA := check.Result{Kind: check.KindHost, From: "host1", To: "unix:/run/ovslab/c-alice/host1/db.sock", OK: true}
	hostB := check.Result{Kind: check.KindHost, From: "host1", To: "unix:/run/ovslab/c-bob/host1/db.sock", OK: true}
	bad := ping
	bad.OK = false
	graded := []Graded{
		{Student: "alice", Lab: "c-alice", Report: &check.Report{OK: true, Results: []check.Result{hostA, ping, exp, skipped, ping}}},
		{Student: "bob,\"the\" =1+1", Lab: "c-bob", Report: &check.Report{Results: []check.Result{hostB, bad, exp, skipped, ping}}},
		{Student: "carol", Lab: "c-carol", Err: errors.New("not up (ovslab class up)")},
		{Student: "dave", Lab: "c-dave", Err: errors.New("-1+1 @x")},
		{Student: "=cmd|' /C calc'!A0", Lab: "+c", Err: errors.New("@SUM(1)")},
	}
	g := NewGradebook("c", graded)
	var buf bytes.Buffer
	if err := g.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	recs, err := csv.NewReader(strings.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatalf("the gradebook is not CSV: %v\n%s", err, text)
	}
	wantHead := []string{"student", "lab", "passed", "failed", "graded", "score", "error", "host: host1",
		"ping: doc1 -> doc3 (10.0.1.20)", `expect: doc,1 "a" -> =HYPERLINK("http://x") reach: false`,
		"expect: doc1 -> doc4 mtu: 1500", "ping: doc1 -> doc3 (10.0.1.20) #2"}
	if !slices.Equal(recs[0], wantHead) {
		t.Errorf("header:\n%q\nwant\n%q", recs[0], wantHead)
	}
	want := [][]string{
		{"alice", "c-alice", "4", "0", "4", "100.0", "", "1", "1", "1", "", "1"},
		// The name a spreadsheet would run is text: quoted by CSV, and
		// marked with an apostrophe where it starts with a formula sign.
		{"bob,\"the\" =1+1", "c-bob", "3", "1", "4", "75.0", "", "1", "0", "1", "", "1"},
		{"carol", "c-carol", "0", "0", "0", "", "not up (ovslab class up)", "", "", "", "", ""},
		{"dave", "c-dave", "0", "0", "0", "", "'-1+1 @x", "", "", "", "", ""},
		{"'=cmd|' /C calc'!A0", "'+c", "0", "0", "0", "", "'@SUM(1)", "", "", "", "", ""},
	}
	for i, w := range want {
		if !slices.Equal(recs[i+1], w) {
			t.Errorf("row %d:\n%q\nwant\n%q", i+1, recs[i+1], w)
		}
	}
	if !strings.Contains(text, `"bob,""the"" =1+1"`) {
		t.Errorf("a name with a comma and quotes is not quoted by RFC 4180:\n%s", text)
	}
	for _, rec := range recs {
		for _, f := range rec {
			if f != "" && strings.ContainsRune("=+-@", rune(f[0])) {
				t.Errorf("cell %q would run as a formula", f)
			}
		}
	}
}

func TestCellGuard(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@SUM(A1)": "'@SUM(A1)", "\tx": "'\tx", "\rx": "'\rx",
		"alice": "alice", "": "", "a=b": "a=b",
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFit(t *testing.T) {
	c := testClass(t, "net101", "a", "b", "c")
	per := FootprintOf(c.Lab.Topo)
	if per.Hosts != 2 || per.Containers != 4 || per.Namespaces != 4 ||
		per.Bytes != 2*OVSDaemonsPerHost+4*PerContainer+4*PerNamespace {
		t.Fatalf("footprint of l3-vxlan: %+v", per)
	}
	if err := Fit(c, 3, 3*per.Bytes+Headroom); err != nil {
		t.Errorf("exactly enough: %v", err)
	}
	err := Fit(c, 3, 3*per.Bytes+Headroom-1)
	var me *MemoryError
	if !errors.As(err, &me) || me.Need != 3*per.Bytes || me.Copies != 3 {
		t.Fatalf("one byte short: %v", err)
	}
	for _, want := range []string{"3 copies need about 144 MiB", "48 MiB each", "2 emulated hosts' OVS daemons at 14 MiB", "only 655 MiB is available", "nothing was changed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if err := Fit(c, 0, 0); err != nil {
		t.Errorf("nothing to bring up: %v", err)
	}
	if got, err := MemAvailable(); err != nil || got == 0 {
		t.Errorf("MemAvailable: %d, %v", got, err)
	}
}
