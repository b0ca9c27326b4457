package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestGraphSVGWithoutGraphviz draws the reference lab as SVG with a PATH
// that holds no program at all, so Graphviz's dot cannot be what drew it.
func TestGraphSVGWithoutGraphviz(t *testing.T) {
	c := exec.Command(bin, "graph", "l3-vxlan", "--format", "svg")
	c.Env = []string{"PATH=" + t.TempDir()}
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("graph --format svg: %v\n%s", err, errb.String())
	}
	texts, _, err := testenv.SVGText(out.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"br1:", "br2:", "VXLAN 5000", "VXLAN 6000", "doc1 ", "doc2 ", "doc3 ", "doc4 ", "host1 172.16.10.100/24", "router"} {
		if !strings.Contains(texts, want) {
			t.Errorf("SVG lacks %q; its text: %s", want, texts)
		}
	}
	if r := ovslab(t, "graph", "l3-vxlan", "--format", "png"); r.code != 2 {
		t.Errorf("graph --format png: %s; want exit 2", r)
	}
	if r := ovslab(t, "graph", "cp-none", "--check"); r.code == 0 || !strings.Contains(r.stderr, "cp-none") {
		t.Errorf("graph --check of a lab that is not up: %s; want a failure naming it", r)
	}
}
