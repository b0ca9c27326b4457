package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/check"
)

// mtuBrokenReport is what check said of the mtu-broken lab before the
// fix: long routes, long details and an author's message.
func mtuBrokenReport() *check.Report {
	return &check.Report{Lab: "mtu-broken", Results: []check.Result{
		{Kind: "host", From: "host1", To: "unix:/run/ovslab/mtu-broken/host1/db.sock", OK: true},
		{Kind: "tunnel", From: "host1/br1", To: "172.16.20.100 key 5000", OK: true},
		{Kind: "ping", From: "doc1", To: "doc3 (10.0.1.20)", OK: true, Detail: "84 bytes, 3.58ms"},
		{Kind: "pmtu", From: "doc1", To: "doc3 (10.0.1.20)", Detail: "no reply to 1500-byte DF packets: the underlay drops full-size VXLAN frames; raise underlay.mtu to 1554 (or lower the interfaces' mtu)"},
		{Kind: "nat", From: "host1/net1 (10.0.1.1)", To: "wan (198.51.100.1)", OK: true, Detail: "84 bytes, 1.39ms"},
		{Kind: "isolate", From: "doc1.net1", To: "doc2.net2 (10.0.2.10)", OK: true, Detail: "no ARP reply, as two networks should"},
		{Kind: "expect", From: "doc1", To: "doc3 (10.0.1.20)", Want: "mtu: 1500",
			Detail:  "no reply to 1500-byte packets with Don't Fragment (3 tries): a link on the path carries less",
			Message: "a full 1500-byte packet plus 50 bytes of VXLAN does not fit a 1500-byte underlay: raise underlay.mtu (1554) or lower the interfaces' mtu"},
		{Kind: "expect", From: "spy", To: "red1 (10.0.1.11)", Want: "reach: false", OK: true, Skipped: true, Detail: "see https://example.org/a-value-longer-than-any-terminal-line-can-hold-in-eighty-columns-of-text"},
	}}
}

// TestCheckFitsTheTerminal: on an 80-column terminal no line of check's
// output is wider than 80 unless a single value is; lines are as wide as
// their content, never padded; every result and message is there.
func TestCheckFitsTheTerminal(t *testing.T) {
	rep := mtuBrokenReport()
	for _, width := range []int{80, 100, 60} {
		var b bytes.Buffer
		printCheck(&b, rep, width)
		out := b.String()
		t.Logf("width %d:\n%s", width, out)
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if strings.HasSuffix(line, " ") {
				t.Errorf("width %d: line ends in spaces: %q", width, line)
			}
			if runes(line) <= width {
				continue
			}
			// Only a value longer than the line may overflow it.
			long := false
			for _, w := range strings.Fields(line) {
				long = long || (runes(w) > width/2 && runes(line)-runes(w) <= width)
			}
			if long {
				continue
			}
			t.Errorf("width %d: line of %d columns: %q", width, runes(line), line)
		}
		for _, want := range []string{"raise underlay.mtu to 1554", "(or lower the interfaces' mtu)", "plus 50 bytes of VXLAN", "lab mtu-broken: 2 of 7 checks FAILED (1 skipped)",
			"unix:/run/ovslab/mtu-broken/host1/db.sock", "a-value-longer-than-any-terminal-line-can-hold-in-eighty-columns-of-text"} {
			if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
				t.Errorf("width %d: output lacks %q", width, want)
			}
		}
	}
}

// TestCheckWithoutTerminal: piped, each result is one line (messages on
// their own), padded only as far as the widest route.
func TestCheckWithoutTerminal(t *testing.T) {
	var b bytes.Buffer
	printCheck(&b, mtuBrokenReport(), 0)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 10 { // 8 results, 1 message, the summary
		t.Fatalf("got %d lines, want 10:\n%s", len(lines), b.String())
	}
	pmtu := lines[3]
	want := fmt.Sprintf("FAIL  pmtu     %-43s  no reply to 1500-byte DF packets:", "doc1 -> doc3 (10.0.1.20)") // as wide as the nat row's route
	if !strings.HasPrefix(pmtu, want) {
		t.Errorf("pmtu line:\n%q\nwant it to start\n%q", pmtu, want)
	}
	if !strings.HasPrefix(lines[7], strings.Repeat(" ", 17)+"a full 1500-byte packet") {
		t.Errorf("the author's message is not under the route: %q", lines[7])
	}
	if got := lines[0]; got != "ok    host     host1 -> unix:/run/ovslab/mtu-broken/host1/db.sock" {
		t.Errorf("a row without detail is padded: %q", got)
	}
}
