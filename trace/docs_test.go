package trace

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestDocsMatchJSON holds docs/trace.md's field tables to what -o json
// prints: every key of a Result with every field set, and no other.
func TestDocsMatchJSON(t *testing.T) {
	b, err := os.ReadFile("../docs/trace.md")
	if err != nil {
		t.Fatal(err)
	}
	full := Result{Lab: "l", From: "a", To: "b", Src: "s", Dst: "d", Proto: "icmp", Size: 1, Verdict: VerdictBroken, Broken: 0,
		Hops: []Hop{{Dir: DirOut, Node: "n", Kind: KindLink, Object: "o", Fact: "f", Status: StatusBroken, Cause: "c",
			Fix: &Fix{Text: "t", On: "n", Commands: []string{"c"}, Docker: "d"}}}}
	j, err := json.Marshal(full)
	if err != nil {
		t.Fatal(err)
	}
	var res map[string]any
	if err := json.Unmarshal(j, &res); err != nil {
		t.Fatal(err)
	}
	hop := res["hops"].([]any)[0].(map[string]any)
	fix := hop["fix"].(map[string]any)
	doc := string(b)
	for _, tc := range []struct {
		section string
		keys    []string
	}{
		{"### Result", slices.Sorted(maps.Keys(res))},
		{"### Hop", slices.Sorted(maps.Keys(hop))},
		{"### Fix", slices.Sorted(maps.Keys(fix))},
	} {
		documented := tableFields(t, doc, tc.section)
		if !slices.Equal(documented, tc.keys) {
			t.Errorf("docs/trace.md %s documents %v; -o json prints %v", tc.section, documented, tc.keys)
		}
	}
	for _, v := range []string{VerdictDelivered, VerdictBroken, VerdictUnseen, StatusOK, StatusWarn, StatusBroken, StatusUnseen,
		KindIface, KindAddress, KindRoute, KindNeigh, KindVeth, KindPort, KindFlow, KindTunnel, KindLink, KindForward, KindFilter, KindNAT, KindDeliver, KindUnseen} {
		if !strings.Contains(doc, "`"+v+"`") {
			t.Errorf("docs/trace.md does not name the value `%s`", v)
		}
	}
}

// tableFields lists the first column of the table under section.
func tableFields(t *testing.T, doc, section string) []string {
	_, body, ok := strings.Cut(doc, section+"\n")
	if !ok {
		t.Fatalf("docs/trace.md has no section %q", section)
	}
	if end := strings.Index(body, "\n#"); end >= 0 {
		body = body[:end]
	}
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if f := strings.Split(l, "|"); len(f) > 2 && strings.HasPrefix(strings.TrimSpace(f[1]), "`") {
			out = append(out, strings.Trim(strings.TrimSpace(f[1]), "`"))
		}
	}
	slices.Sort(out)
	return out
}
