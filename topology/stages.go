package topology

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// stages: the steps of an exercise. Each stage breaks the lab on purpose
// (its faults, faults.go) and says what must hold once the student has
// repaired it (its expect:, graded with the file's own).

// Stage is one step of an exercise.
type Stage struct {
	Name   string
	Text   string        // what the student reads on entering it
	Faults []Fault       // applied on top of the file, in file order
	Expect []Expectation // graded with the file's own expect: while the stage is current
	Hints  Hints         // replaces the file's hints: while the stage is current; "" = the file's
	Line   int
}

// stageKeys are the keys of one stage; faultKeys (faults.go) those of one
// fault.
var stageKeys = []string{"name", "text", "faults", "expect", "hints"}

// Bounds of stages.
const (
	maxStageName = 32
	maxStageText = 2000
	// NextStage is what `ovslab stage LAB next` means; no stage may be
	// called so.
	NextStage = "next"
)

// StageByName returns the stage called name and its index.
func (t *Topology) StageByName(name string) (*Stage, int, bool) {
	for i := range t.Stages {
		if t.Stages[i].Name == name {
			return &t.Stages[i], i, true
		}
	}
	return nil, -1, false
}

// StageNames lists the stages' names in file order.
func (t *Topology) StageNames() []string {
	out := make([]string, len(t.Stages))
	for i, s := range t.Stages {
		out[i] = s.Name
	}
	return out
}

// repairedInside reports whether a stage breaks container node's
// addresses or routes, which the student repairs inside it.
func (t *Topology) repairedInside(node string) bool {
	for _, s := range t.Stages {
		for _, f := range s.Faults {
			if (f.Kind == FaultAddress || f.Kind == FaultRoute) && f.Target.Node == node {
				return true
			}
		}
	}
	return false
}

// stages reads the list under stages:. Fault targets and the stages'
// expectations are resolved by validateStages, once every node is known.
func (p *parser) stages(f field) []Stage {
	p.mark("stages", f.key)
	if f.val.Kind != yaml.SequenceNode {
		p.errAt(f.val, "stages", "expected a list of {name, text, faults, expect, hints}, found %s", describe(f.val))
		return nil
	}
	if len(f.val.Content) == 0 {
		p.errAt(f.val, "stages", "stages is empty; give at least one stage, or leave stages out")
		return nil
	}
	var out []Stage
	for i, n := range f.val.Content {
		if !p.spend(n) {
			break
		}
		n = resolve(n)
		path := index("stages", i)
		p.mark(path, n)
		s := Stage{Line: n.Line}
		if o, ok := p.object(n, nil, path, stageKeys...); ok {
			p.stage(o, &s)
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) stage(o *object, s *Stage) {
	path := o.path
	if f, ok := p.required(o, "name"); ok {
		if name, ok := p.str(f, path+".name"); ok {
			s.Name = name
			p.checkStageName(f.val, path+".name", name)
		}
	}
	if f, ok := p.required(o, "text"); ok {
		if text, ok := p.str(f, path+".text"); ok {
			switch {
			case strings.TrimSpace(text) == "":
				p.errAt(f.val, path+".text", "text is empty; tell the student what they see and what to look for")
			case len(text) > maxStageText:
				p.errAt(f.val, path+".text", "text is %d bytes; keep it under %d (the README is the place for more)", len(text), maxStageText)
			}
			s.Text = text
		}
	}
	if f, ok := o.get("faults"); ok {
		s.Faults = p.faults(f, path+".faults")
	}
	if f, ok := o.get("expect"); ok {
		s.Expect = p.expectList(f, path+".expect")
	}
	if f, ok := o.get("hints"); ok {
		s.Hints = p.hints(f, path+".hints")
	}
}

func (p *parser) checkStageName(n *yaml.Node, path, name string) {
	switch {
	case !p.checkName(n, path, "stage", name, maxStageName):
	case name == NextStage:
		p.errAt(n, path, "stage name %q is reserved: `ovslab stage LAB next` enters the stage after the current one; pick another name", name)
	}
}

// validateStages checks what stages involve beyond their own values:
// unique names, every fault's target and values against the lab, and the
// stages' expectations against its nodes.
func (p *parser) validateStages(t *Topology) {
	if len(t.Stages) == 0 {
		return
	}
	first := map[string]string{} // stage name → its field
	nodes := expectNodes(t)
	for i := range t.Stages {
		s := &t.Stages[i]
		path := index("stages", i)
		if s.Name != "" && !p.bad[path+".name"] {
			if f, dup := first[s.Name]; dup {
				p.errField(path+".name", "duplicate stage %q; first named at line %d", s.Name, p.at(f+".name").line)
			} else {
				first[s.Name] = path
			}
		}
		for j := range s.Expect {
			s.Expect[j].Stage = s.Name
		}
		p.resolveExpect(t, nodes, s.Expect, path+".expect")
		p.validateFaults(t, nodes, s.Faults, path+".faults")
	}
}
