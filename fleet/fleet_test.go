package fleet

import (
	"errors"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/check"
	"github.com/ovslab/ovslab/topology"
)

// TestLastError: the summary names a host's real error, not its progress
// or warnings, even when lines arrive in pieces.
func TestLastError(t *testing.T) {
	var l lastError
	for _, s := range []string{"· h1: contai", "ners\nwarning: x\novslab: host h1: br1: not ", "owned\n· done\n"} {
		if _, err := l.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := l.message(), "host h1: br1: not owned"; got != want {
		t.Errorf("message = %q, want %q", got, want)
	}
}

// TestMerge: every host's results in host order; a host with no
// report is a failed host line naming why, and fails the whole report.
func TestMerge(t *testing.T) {
	f := &fleet{
		hosts: []topology.Host{{Name: "h1"}, {Name: "h2"}, {Name: "h3"}},
		errs:  map[string]error{"h2": errors.New("host h2: cannot reach 10.0.0.2:22")},
	}
	rep := &check.Report{Lab: "l", OK: true}
	f.merge(rep, map[string][]byte{
		"h1": []byte(`{"lab":"l","ok":true,"results":[{"kind":"underlay","from":"h1","to":"h3","ok":true}]}`),
		"h3": []byte(`not json`),
	}, nil)
	if rep.OK {
		t.Error("report ok with h2 unreachable and h3 unreadable")
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Kind+" "+r.From+" "+r.Detail)
	}
	want := []string{"underlay h1 ", "host h2 host h2: cannot reach 10.0.0.2:22", "host h3 host h3: unreadable report"}
	if len(got) != len(want) {
		t.Fatalf("results %q, want %q", got, want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("result %d = %q, want it to start %q", i, got[i], want[i])
		}
	}
}
