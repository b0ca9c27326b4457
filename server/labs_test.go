package server

import (
	"testing"

	"github.com/ovslab/ovslab/check"
)

// TestExpectations: each expect: entry gets the result its last check
// gave it, matched by sender, target and want, the target as check
// writes it ("doc3 (10.0.1.20)"); an entry the check did not grade
// stays ungraded.
func TestExpectations(t *testing.T) {
	src, _ := catalogLab(t, "l3-vxlan")
	exps := src.Topo.Expect
	results := []check.Result{
		{Kind: check.KindPing, From: "doc1", To: "doc3", OK: false},
		{Kind: check.KindExpect, From: "doc1", To: "doc3 (10.0.1.20)", Want: "reach: true", OK: true},
		{Kind: check.KindExpect, From: "doc1", To: "doc3 (10.0.1.20)", Want: exps[3].Want(), OK: false, Detail: "no reply"},
		{Kind: check.KindExpect, From: "doc3", To: "10.0.1.1", Want: "reach: true", OK: true},
	}
	got := expectations(exps, results)
	if len(got) != len(exps) {
		t.Fatalf("%d expectations, want %d", len(got), len(exps))
	}
	want := []*bool{ptr(true), ptr(true), nil, ptr(false), nil, nil, nil}
	for i, e := range got {
		switch {
		case (e.OK == nil) != (want[i] == nil):
			t.Errorf("%d %s -> %s: graded %v, want %v", i, e.From, e.To, e.OK, want[i])
		case e.OK != nil && *e.OK != *want[i]:
			t.Errorf("%d %s -> %s: ok %v, want %v", i, e.From, e.To, *e.OK, *want[i])
		}
	}
	if got[3].Detail != "no reply" || got[0].Message == "" || got[0].To != "doc3" {
		t.Errorf("details: %+v, %+v", got[3], got[0])
	}
}

func ptr[T any](v T) *T { return &v }
