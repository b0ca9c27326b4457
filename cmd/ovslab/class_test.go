package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/events"
)

func TestClassUsage(t *testing.T) {
	bad := writeFile(t, "bad.yaml", "class: c\nlab: l3-vxlan\nstudents: [ok, Not_OK]\n")
	good := writeFile(t, "good.yaml", "class: c\nlab: l3-vxlan\nstudents: [a]\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"class", "up", bad}, bad + `:3:16: students[1]: student name "Not_OK" is not valid`},
		{[]string{"class", "check", bad, "-o", "csv"}, bad + ":3:16: students[1]"},
		{[]string{"class", "check", good, "-o", "xml"}, "-o xml: want text, json, junit or csv"},
		{[]string{"class", "status", "no-such-class-here"}, "no-such-class-here: no such class file, and no class of that name recorded here"},
		{[]string{"class", "down", "../etc"}, "../etc: no such class file"},
		{[]string{"class", "urls", good, "--base", "ftp://x"}, `--base "ftp://x": want an http:// or https:// URL`},
		{[]string{"class", "chekc", good}, `unknown command "chekc" (see ovslab class --help); did you mean check?`},
		{[]string{"class", "up"}, "accepts 1 arg(s), received 0"},
		{[]string{"events", "Not a lab"}, `"Not a lab" is not a lab's or a class's name`},
		{[]string{"events", "-o", "yaml"}, "-o yaml"},
	} {
		r := ovslab(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
			t.Errorf("%v: %s\nwant exit 2 saying %q, nothing on stdout", tc.args, r, tc.want)
		}
	}
}

// TestGradebookFitsTheTerminal: 45 checks in 60 columns wrap under
// themselves, no line wider than the terminal; the failed checks are
// listed with who failed them.
func TestGradebookFitsTheTerminal(t *testing.T) {
	var results []check.Result
	for i := range 45 {
		results = append(results, check.Result{Kind: check.KindPing, From: "doc1", To: "doc" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), OK: true})
	}
	bad := append([]check.Result(nil), results...)
	bad[12].OK = false
	g := class.NewGradebook("net101", []class.Graded{
		{Student: "alice", Lab: "net101-alice", Report: &check.Report{OK: true, Results: results}},
		{Student: "bob", Lab: "net101-bob", Report: &check.Report{Results: bad}},
		{Student: "carol", Lab: "net101-carol", Err: errors.New("not up (ovslab class up)")},
	})
	var b bytes.Buffer
	printGradebook(&b, g, 60)
	out := b.String()
	for _, l := range strings.Split(out, "\n") {
		if len([]rune(l)) > 60 {
			t.Errorf("line of %d columns in 60: %q", len(l), l)
		}
	}
	for _, want := range []string{
		"alice    net101-alice  45/45   .......... ..........\n",
		"bob      net101-bob    44/45   .......... ..X.......\n",
		"carol    net101-carol  -       not up (ovslab class up)\n",
		"  13  ping: doc1 -> docm  bob\n",
		"class net101: 1 of 3 copies passed all 45 checks\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Each row's marks go on below it, under the first ones.
	if !strings.Contains(out, "\n"+strings.Repeat(" ", len("alice    net101-alice  45/45   "))+".......... ..........\n") {
		t.Errorf("alice's marks do not wrap under themselves:\n%s", out)
	}
}

func TestEventText(t *testing.T) {
	at := time.Date(2026, 12, 7, 9, 14, 3, 512e6, time.Local)
	for _, tc := range []struct {
		e    events.Event
		want string
	}{
		{events.Event{Time: at, Lab: "l", Type: events.UpStep, Fields: map[string]any{"message": "host1: containers"}}, "09:14:03.512  l  up.step  host1: containers"},
		{events.Event{Time: at, Lab: "l", Type: events.CheckDone, Fields: map[string]any{"ok": true, "failed": 0.0, "passed": 30.0}}, "09:14:03.512  l  check.done  failed=0  ok=true  passed=30"},
		{events.Event{Time: at, Lab: "l", Type: events.DownStart}, "09:14:03.512  l  down.start"},
	} {
		if got := eventText(tc.e); got != tc.want {
			t.Errorf("eventText = %q, want %q", got, tc.want)
		}
	}
}
