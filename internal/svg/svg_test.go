package svg

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

func TestFromDOT(t *testing.T) {
	var out bytes.Buffer
	dot := `graph g { subgraph cluster_h1 { label="host1"; a [label="br1"]; } a -- b [label="VXLAN 5000", color="#c51b0a"]; }`
	if err := FromDOT(context.Background(), dot, &out); err != nil {
		t.Fatal(err)
	}
	texts, attrs, err := testenv.SVGText(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"host1", "br1", "VXLAN 5000"} {
		if !strings.Contains(texts, want) {
			t.Errorf("SVG text lacks %q: %s", want, texts)
		}
	}
	if !strings.Contains(attrs, "#c51b0a") {
		t.Errorf("SVG lost the edge's colour: %s", attrs)
	}
	if err := FromDOT(context.Background(), "graph { a -- ", &out); err == nil {
		t.Error("broken DOT rendered without an error")
	}
}
