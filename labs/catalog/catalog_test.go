package catalog_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

func TestEveryLabParses(t *testing.T) {
	names := catalog.Names()
	if len(names) == 0 {
		t.Fatal("no built-in labs")
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, ok := catalog.Get(name)
			if !ok {
				t.Fatal("Get failed for a listed lab")
			}
			top, err := topology.Parse(topology.BuiltinPrefix+name, data)
			if err != nil {
				t.Fatalf("does not validate:\n%v", err)
			}
			if top.Name != name {
				t.Errorf("lab in directory %s is named %s", name, top.Name)
			}
			if top.Dir != "" {
				t.Errorf("Dir = %q, want empty for a built-in lab", top.Dir)
			}
			for _, w := range top.Warnings() {
				if strings.Contains(w, "cannot be graded") {
					t.Errorf("an expectation no check can pass: %s", w)
				}
			}
			for _, h := range top.Hosts {
				if _, err := top.Plan(h.Name); err != nil {
					t.Errorf("plan %s: %v", h.Name, err)
				}
			}
			readme, ok := catalog.README(name)
			if !ok || !strings.Contains(readme, "ovslab up --emulate "+name) {
				t.Errorf("README missing or does not show how to start the lab")
			}
			if d := catalog.Describe(name); d == "" || strings.Contains(d, "\n") {
				t.Errorf("Describe = %q, want one line", d)
			}
		})
	}
}

// TestREADMEsWorkAsWritten keeps the guides runnable from the binary alone,
// as root on a machine that may have no sudo: the file comes from
// `ovslab labs NAME --yaml`, never from a directory the student lacks.
func TestREADMEsWorkAsWritten(t *testing.T) {
	for _, name := range catalog.Names() {
		t.Run(name, func(t *testing.T) {
			readme, _ := catalog.README(name)
			for _, line := range strings.Split(readme, "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), "sudo ") || strings.Contains(line, "`sudo ") {
					t.Errorf("command line with sudo: %q", line)
				}
			}
			for _, bad := range []string{"next to this file", "labs/catalog/"} {
				if strings.Contains(readme, bad) {
					t.Errorf("README says %q; point at `ovslab labs %s --yaml` instead", bad, name)
				}
			}
			if strings.Contains(readme, "topology.yaml") && !strings.Contains(readme, "ovslab labs "+name+" --yaml > topology.yaml") {
				t.Errorf("README uses topology.yaml without showing how to get it (ovslab labs %s --yaml > topology.yaml)", name)
			}
		})
	}
}

func TestUnknownLab(t *testing.T) {
	for _, name := range []string{"", "nope", "..", "l3-vxlan/../l3-vxlan", "/l3-vxlan"} {
		if _, ok := catalog.Get(name); ok {
			t.Errorf("Get(%q) found something", name)
		}
		if _, ok := catalog.README(name); ok {
			t.Errorf("README(%q) found something", name)
		}
		if d := catalog.Describe(name); d != "" {
			t.Errorf("Describe(%q) = %q", name, d)
		}
	}
}

// TestReferenceLab checks the built-in l3-vxlan against the plans the
// topology package's golden files hold for the reference lab (docs/topology.md).
func TestReferenceLab(t *testing.T) {
	data, ok := catalog.Get("l3-vxlan")
	if !ok {
		t.Fatal("l3-vxlan is not built in")
	}
	top, err := topology.Parse("builtin:l3-vxlan", data)
	if err != nil {
		t.Fatal(err)
	}
	if got := catalog.Describe("l3-vxlan"); !strings.Contains(got, "VXLAN") {
		t.Errorf("Describe = %q", got)
	}
	for _, host := range []string{"host1", "host2"} {
		p, err := top.Plan(host)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.MarshalIndent(p, "", "  ")
		want, err := os.ReadFile(filepath.Join("..", "..", "topology", "testdata", "golden", "l3-vxlan-"+host+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(append(got, '\n'), want) {
			t.Errorf("%s plan differs from topology/testdata/golden:\n%s", host, got)
		}
	}
	for _, c := range top.Containers {
		if c.Image != "ovslab/busybox" || strings.Join(c.Command, " ") != "sleep infinity" {
			t.Errorf("%s: image %q command %q", c.Name, c.Image, c.Command)
		}
	}
}

// TestREADMEsHideTheirTestNotes: the HTML comments a README holds for the
// walkthrough test (doc.go) are not what `ovslab labs NAME` prints.
func TestREADMEsHideTheirTestNotes(t *testing.T) {
	for _, name := range catalog.Names() {
		raw, err := os.ReadFile(filepath.Join(name, "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		shown, _ := catalog.README(name)
		if strings.Contains(shown, "<!--") || strings.Contains(shown, "-->") {
			t.Errorf("%s: the README as shown holds an HTML comment", name)
		}
		if strings.Count(string(raw), "\n")-strings.Count(shown, "\n") != strings.Count(string(raw), "<!--") {
			t.Errorf("%s: hiding the comments removed other lines too", name)
		}
	}
}
