package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

// TestRootCIRecipe runs scripts/ci-lab.sh, the recipe of docs/ci.md, on
// the reference lab (renamed, so it keeps clear of one a user runs): once
// as it is, all green, and once with an expectation that fails. Both
// times the artefacts must be there and the lab gone.
func TestRootCIRecipe(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip", "python3")
	testenv.RequireDocker(t)
	const lab = "gr-ci"
	data, ok := catalog.Get("l3-vxlan")
	if !ok {
		t.Fatal("no built-in l3-vxlan")
	}
	text := strings.Replace(string(data), "name: l3-vxlan", "name: "+lab, 1)
	text = strings.ReplaceAll(text, "doc", "grcdoc") // Docker names are machine-wide
	script, err := filepath.Abs("../../scripts/ci-lab.sh")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if r := ovslab(t, "down", lab); r.code != 0 {
			t.Logf("cleanup: %s", r)
		}
	})
	canCapture := strings.Contains(ovslab(t, "--help").stdout, "\n  capture ")

	run := func(t *testing.T, file string) (result, string) {
		out := t.TempDir()
		c := exec.Command(script, file)
		c.Env = append(os.Environ(), "OUT="+out, "OVSLAB="+bin)
		var r result
		var so, se strings.Builder
		c.Stdout, c.Stderr = &so, &se
		err := c.Run()
		r.stdout, r.stderr = so.String(), se.String()
		if ee, ok := err.(*exec.ExitError); ok {
			r.code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		assertLabGone(t, lab)
		return r, out
	}

	t.Run("a bad file", func(t *testing.T) {
		r, out := run(t, writeFile(t, "topology.yaml", strings.Replace(text, "vni: 6000", "vni: 5000", 1)))
		if r.code != 2 || !strings.Contains(r.stderr, "VNI 5000 is already used") {
			t.Errorf("want exit 2 naming the duplicate VNI, got %s", r)
		}
		if _, err := os.Stat(filepath.Join(out, "report.xml")); err == nil {
			t.Errorf("a report was written for a lab that was never built")
		}
	})

	t.Run("green", func(t *testing.T) {
		r, out := run(t, writeFile(t, "topology.yaml", text))
		if r.code != 0 {
			t.Fatalf("the recipe failed on the reference lab: %s", r)
		}
		report, err := os.ReadFile(filepath.Join(out, "report.xml"))
		if err != nil {
			t.Fatal(err)
		}
		doc := parseJUnit(t, report)
		expects := 0
		for _, s := range doc.Suites {
			if s.Name == lab+".expect" {
				expects = s.Tests
			}
		}
		if doc.Failures != 0 || doc.Tests < 20 || expects != 7 {
			t.Errorf("report.xml: %d tests, %d failures, %d expectations; want >= 20, 0 and the lab's 7", doc.Tests, doc.Failures, expects)
		}
		var status struct {
			Lab   string `json:"lab"`
			Hosts []struct {
				Name string `json:"name"`
			} `json:"hosts"`
		}
		if b, err := os.ReadFile(filepath.Join(out, "status.json")); err != nil || json.Unmarshal(b, &status) != nil || status.Lab != lab || len(status.Hosts) != 2 {
			t.Errorf("status.json: %v, %+v; want lab %s with 2 hosts", err, status, lab)
		}
		if svg, err := os.ReadFile(filepath.Join(out, "graph.svg")); err == nil && len(svg) > 0 && !strings.Contains(string(svg), "<svg") {
			t.Errorf("graph.svg is not SVG: %.200s", svg)
		}
		if canCapture {
			for _, h := range []string{"host1", "host2"} {
				if fi, err := os.Stat(filepath.Join(out, h+"-underlay.pcap")); err != nil || fi.Size() <= 24 {
					t.Errorf("%s-underlay.pcap: %v, want packets after the pcap header", h, err)
				}
			}
		}
		if _, err := os.Stat(filepath.Join(out, "logs")); err == nil {
			t.Errorf("OVS logs kept although the check passed")
		}
	})

	t.Run("a failing expectation", func(t *testing.T) {
		failing := text + "  - {from: grcdoc1, to: grcdoc3, rtt: {min: 5s, max: 10s}, message: \"GR-CI-FAIL: no lab round trip takes 5 seconds\"}\n"
		r, out := run(t, writeFile(t, "topology.yaml", failing))
		if r.code != 1 {
			t.Fatalf("exit %d, want 1 (check failed)\n%s", r.code, r)
		}
		report, err := os.ReadFile(filepath.Join(out, "report.xml"))
		if err != nil {
			t.Fatal(err)
		}
		doc := parseJUnit(t, report)
		if doc.Failures != 1 || !strings.Contains(string(report), `message="GR-CI-FAIL: no lab round trip takes 5 seconds"`) {
			t.Errorf("report.xml: %d failures, want the one expectation with its message:\n%s", doc.Failures, report)
		}
		if !strings.Contains(r.stderr, "GR-CI-FAIL") {
			t.Errorf("the job's log lacks the text report with the failure's message:\n%s", r.stderr)
		}
		for _, h := range []string{"host1", "host2"} {
			logs, _ := filepath.Glob(filepath.Join(out, "logs", h, "ovs-vswitchd*.log"))
			if len(logs) == 0 {
				entries, _ := os.ReadDir(filepath.Join(out, "logs", h))
				t.Errorf("no ovs-vswitchd log of %s kept after the failure (have %v)", h, entries)
			}
		}
	})
}

// assertLabGone checks that nothing of lab is left on the machine.
func assertLabGone(t *testing.T, lab string) {
	t.Helper()
	if _, err := os.Stat("/run/ovslab/" + lab); !os.IsNotExist(err) {
		t.Errorf("/run/ovslab/%s left (%v)", lab, err)
	}
	if out, _ := exec.Command("ip", "netns", "list").Output(); strings.Contains(string(out), lab+"-") {
		t.Errorf("netns of %s left:\n%s", lab, out)
	}
	if out, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=ovslab.lab="+lab).Output(); len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("containers of %s left: %s", lab, out)
	}
}
