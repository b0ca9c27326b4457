package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// stagedLab is an exercise without containers (quick to bring up): the
// hosts reach each other over net1 through host ports, and each stage
// breaks that.
const stagedLab = `name: sc-cli
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, host_ports: {host1: 10.0.1.1, host2: 10.0.1.2}}
expect:
  - {from: host1, to: host2, reach: true, message: "the hosts meet on net1"}
stages:
  - name: one
    text: "STAGE-ONE-TEXT: the keys differ."
    faults:
      - {kind: key, on: host2/net1, key: 5001}
    expect:
      - {from: host2, to: host1, reach: true, message: "STAGE-ONE-EXPECT"}
  - name: two
    text: "STAGE-TWO-TEXT: a port is down."
    faults:
      - {kind: down, on: host1/net1}
`

type stageJSON struct {
	Lab     string `json:"lab"`
	Current string `json:"current"`
	Applied bool   `json:"applied"`
	Stages  []struct {
		Name string `json:"name"`
	} `json:"stages"`
}

func currentStage(t *testing.T, lab string) stageJSON {
	t.Helper()
	r := ovslab(t, "stage", lab, "-o", "json")
	var s stageJSON
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &s) != nil {
		t.Fatalf("stage %s -o json: %s", lab, r)
	}
	return s
}

// TestRootStageCommands drives an exercise from the command line: the
// stage shown, named by check in all its formats and by status; next, a
// stage that does not exist and the end of the stages; reset --stage; a
// file whose stages are bad, refused with nothing changed.
func TestRootStageCommands(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip")
	const lab = "sc-cli"
	file := writeFile(t, "topology.yaml", stagedLab)
	t.Cleanup(func() {
		if r := ovslab(t, "down", lab); r.code != 0 {
			t.Errorf("down: %s", r)
		}
	})
	if r := ovslab(t, "up", "--emulate", file); r.code != 0 {
		t.Fatalf("up: %s", r)
	}
	r := ovslab(t, "stage", lab)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "lab sc-cli, stage one\n") || !strings.Contains(r.stdout, "STAGE-ONE-TEXT") ||
		!strings.Contains(r.stdout, "* 1. one") || !strings.Contains(r.stdout, "  2. two") {
		t.Errorf("stage: %s", r)
	}

	r = ovslab(t, "check", lab, "-o", "json")
	var rep struct {
		Stage   string `json:"stage"`
		OK      bool   `json:"ok"`
		Results []struct {
			Message string `json:"message"`
			Stage   string `json:"stage"`
			OK      bool   `json:"ok"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 1 || rep.OK || rep.Stage != "one" {
		t.Fatalf("check -o json in stage one: want exit 1, red, stage one; got %s", r)
	}
	stageExpect := false
	for _, res := range rep.Results {
		if res.Message == "STAGE-ONE-EXPECT" {
			stageExpect = res.Stage == "one" && !res.OK
		}
	}
	if !stageExpect {
		t.Errorf("check did not grade the stage's own expectation, red, as the stage's: %s", r.stdout)
	}
	if r := ovslab(t, "check", lab); r.code != 1 || !strings.HasPrefix(r.stdout, "lab sc-cli, stage one\n") {
		t.Errorf("check (text) names no stage: %s", r)
	}
	if r := ovslab(t, "check", lab, "-o", "junit"); r.code != 1 || !strings.Contains(r.stdout, `name="sc-cli.one.expect"`) ||
		!strings.Contains(r.stdout, `<property name="stage" value="one">`) {
		t.Errorf("check -o junit names no stage: %s", r)
	}
	if r := ovslab(t, "status", lab); r.code != 0 || !strings.Contains(r.stdout, "\nstage one ") {
		t.Errorf("status names no stage: %s", r)
	}
	if r := ovslab(t, "status"); !strings.Contains(r.stdout, "STAGE") {
		t.Errorf("status (the list) has no stage column: %s", r)
	}

	if r := ovslab(t, "stage", lab, "next"); r.code != 0 || !strings.HasPrefix(r.stdout, "lab sc-cli, stage two\n") {
		t.Fatalf("stage next: %s", r)
	}
	for _, tc := range []struct {
		args []string
		has  string
	}{
		{[]string{"stage", lab, "next"}, "last stage, two"},
		{[]string{"stage", lab, "three"}, `no stage "three"; its stages are: [one two]`},
		{[]string{"reset", lab, "--stage", "three"}, `no stage "three"`},
	} {
		if r := ovslab(t, tc.args...); r.code != 2 || !strings.Contains(r.stderr, tc.has) {
			t.Errorf("%v: want exit 2 saying %q: %s", tc.args, tc.has, r)
		}
		if s := currentStage(t, lab); s.Current != "two" || !s.Applied {
			t.Errorf("%v changed the stage: %+v", tc.args, s)
		}
	}

	// A file whose stages are bad changes nothing, not even a lab that is up.
	stateBefore, _ := os.ReadFile("/run/ovslab/" + lab + "/state.json")
	bad := writeFile(t, "bad.yaml", strings.Replace(stagedLab, "{kind: down, on: host1/net1}", "{kind: down, on: host1/net9}", 1))
	r = ovslab(t, "up", "--emulate", bad)
	if r.code != 2 || !strings.Contains(r.stderr, bad+":19:") || !strings.Contains(r.stderr, `unknown network "net9"`) {
		t.Errorf("up with a bad fault: want exit 2 with file:line:col, got %s", r)
	}
	if after, _ := os.ReadFile("/run/ovslab/" + lab + "/state.json"); string(after) != string(stateBefore) {
		t.Errorf("up with a bad fault changed the lab's state")
	}
	other := writeFile(t, "other.yaml", badStages)
	if r := ovslab(t, "up", "--emulate", other); r.code != 2 {
		t.Errorf("up of a new lab with bad stages: %s", r)
	}
	if _, err := os.Stat("/run/ovslab/sc-bad"); !os.IsNotExist(err) {
		t.Errorf("up of a lab with bad stages left /run/ovslab/sc-bad (%v)", err)
	}
	if out := testenv.Run(t, "ip", "netns", "list"); strings.Contains(out, "sc-bad-") {
		t.Errorf("up of a lab with bad stages made namespaces:\n%s", out)
	}

	if r := ovslab(t, "reset", lab, "--stage", "one"); r.code != 0 || !strings.HasPrefix(r.stdout, "lab sc-cli, stage one\n") {
		t.Errorf("reset --stage one: %s", r)
	}
	if r := ovslab(t, "check", lab, "-o", "json"); r.code != 1 || !strings.Contains(r.stdout, `"stage": "one"`) {
		t.Errorf("check after reset --stage one: %s", r)
	}
}
