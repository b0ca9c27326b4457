package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/check"
)

// badStages has one problem in a stage or fault on each of several lines;
// validate and up report them all, with file, line and column, and exit 2.
const badStages = `name: sc-bad
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, host_ports: {host1: 10.0.1.1, host2: 10.0.1.2}}
stages:
  - name: one
    text: "one"
    faults:
      - {kind: unplug, on: host1}
      - {kind: key, on: host2/net1, key: 5000}
      - {kind: mtu, on: host1/net1, mtu: 1500}
  - name: one
    txt: "again"
`

func TestStageFileErrors(t *testing.T) {
	bad := writeFile(t, "bad.yaml", badStages)
	for _, args := range [][]string{{"validate", bad}, {"plan", bad}} {
		r := ovslab(t, args...)
		if r.code != 2 {
			t.Fatalf("%v: exit %d, want 2\n%s", args, r.code, r)
		}
		for _, want := range []string{
			bad + ":11:16: stages[0].faults[0].kind: unknown fault kind \"unplug\"",
			bad + ":12:42: stages[0].faults[1].key: key 5000 is the VNI of net1 already",
			bad + ":13:25: stages[0].faults[2].on: \"host1/net1\" is a host's part of a network; a mtu fault acts on",
			bad + ":14:11: stages[1].name: duplicate stage \"one\"",
			bad + ":15:5: stages[1].txt: unknown field \"txt\"",
		} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%v: stderr lacks %q:\n%s", args, want, r.stderr)
			}
		}
	}
}

func TestStageUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		has  string
	}{
		{[]string{"stage"}, "want LAB [NAME|next]"},
		{[]string{"stage", "a", "b", "c"}, "want LAB [NAME|next]"},
		{[]string{"stage", "nosuchlab-cli"}, "nosuchlab-cli"},
		{[]string{"stage", "nosuchlab-cli", "next"}, "nosuchlab-cli"},
		{[]string{"stage", "x", "-o", "yaml"}, "-o yaml: want text or json"},
		{[]string{"reset"}, "accepts 1 arg(s), received 0"},
		{[]string{"reset", "nosuchlab-cli"}, "nosuchlab-cli"},
		{[]string{"reset", "../etc"}, `lab name "../etc"`},
	} {
		r := ovslab(t, tc.args...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.has) || r.stdout != "" {
			t.Errorf("%v: want exit 2 saying %q and no stdout, got %s", tc.args, tc.has, r)
		}
	}
}

// TestLabsShowsStages: `ovslab labs NAME` of an exercise lists its stages
// with their texts after the walkthrough.
func TestLabsShowsStages(t *testing.T) {
	r := ovslab(t, "labs", "vxlan-key")
	if r.code != 0 {
		t.Fatal(r)
	}
	_, stages, ok := strings.Cut(r.stdout, "\nstages:\n")
	if !ok {
		t.Fatalf("no stages listed:\n%s", r.stdout)
	}
	for _, want := range []string{"1. wrong-key", "2. wrong-remote", "3. tunnel-down", "net1 is split in two"} {
		if !strings.Contains(stages, want) {
			t.Errorf("stages lack %q:\n%s", want, stages)
		}
	}
	if r := ovslab(t, "labs", "l3-vxlan"); strings.Contains(r.stdout, "\nstages:\n") {
		t.Errorf("a lab without stages lists some:\n%s", r.stdout)
	}
}

func TestJUnitNamesTheStage(t *testing.T) {
	rep := &check.Report{Lab: "lab", Stage: "wrong-key", Results: []check.Result{
		{Kind: "ping", From: "a", To: "b", OK: true},
		{Kind: "expect", From: "a", To: "b", Want: "reach: true", Stage: "wrong-key", Detail: "no reply"},
	}}
	var b bytes.Buffer
	if err := writeJUnit(&b, rep); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, b.Bytes())
	if len(doc.Suites) != 2 || doc.Suites[0].Name != "lab.wrong-key.ping" || doc.Suites[1].Name != "lab.wrong-key.expect" {
		t.Errorf("suites %+v, want LAB.STAGE.KIND", doc.Suites)
	}
	for _, want := range []string{`name="ovslab check lab stage wrong-key"`, `<property name="stage" value="wrong-key"></property>`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JUnit lacks %s:\n%s", want, b.String())
		}
	}
}
