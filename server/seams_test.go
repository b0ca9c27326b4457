package server

import (
	"testing"

	"github.com/ovslab/ovslab/labs"
)

// stageOf reads a copy's stage from its state: the board and the student
// page show its name, text and place; a lab without stages shows none.
func TestStageOf(t *testing.T) {
	defer func(r string) { labs.RunRoot = r }(labs.RunRoot)
	labs.RunRoot = t.TempDir()
	const text = `name: st-seam
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000, host_ports: {host1: 10.0.1.1, host2: 10.0.1.2}}
stages:
  - {name: one, text: "first"}
  - name: two
    text: "the keys differ"
    faults:
      - {kind: key, on: host2/net1, key: 5001}
`
	st := &labs.State{Lab: "st-seam", Mode: labs.ModeEmulated, Source: "st-seam.yaml", Topology: text, Stage: "two"}
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	got := stageOf("st-seam")
	if got == nil || *got != (Stage{Name: "two", Text: "the keys differ", Index: 2, Count: 2}) {
		t.Errorf("stageOf = %+v, want stage two, 2 of 2, with its text", got)
	}
	st.Stage = ""
	if err := st.Save(); err != nil {
		t.Fatal(err)
	}
	if got := stageOf("st-seam"); got != nil {
		t.Errorf("stageOf a lab in no stage = %+v, want nil", got)
	}
	if got := stageOf("st-none"); got != nil {
		t.Errorf("stageOf a lab that is not up = %+v, want nil", got)
	}
}
