package topology

// Hints is how much ovslab's own messages (up's warnings, check's
// details) tell a student: an exercise asks for the symptoms alone, so
// the walkthrough's "explain it" step is not answered before it is asked.
type Hints string

// Hint levels, the values of hints:.
const (
	// HintsFix says what is seen, why, and what to change (the default).
	HintsFix Hints = "fix"
	// HintsSymptoms says only what is seen: which packets are lost, which
	// replies do not come.
	HintsSymptoms Hints = "symptoms"
)

// Fix reports whether messages may say what to change.
func (h Hints) Fix() bool { return h != HintsSymptoms }

// hints reads a hints: value. It serves the file's top-level key and is
// meant for any section that may override it (a stage of stages:, whose
// own hints: replaces the file's while it is the current one).
func (p *parser) hints(f field, path string) Hints {
	s, ok := p.str(f, path)
	if !ok {
		return HintsFix
	}
	switch h := Hints(s); h {
	case HintsFix, HintsSymptoms:
		return h
	}
	p.errAt(f.val, path, "unknown hints %q; use %s (messages say only what is seen) or %s (they also say what to change, the default)", s, HintsSymptoms, HintsFix)
	return HintsFix
}

// HintsIn is the hints of stage, the file's own when stage is none of
// its stages or sets none.
func (t *Topology) HintsIn(stage string) Hints {
	if s, _, ok := t.StageByName(stage); ok && s.Hints != "" {
		return s.Hints
	}
	return t.Hints
}

// topHints reads the file's hints: key, HintsFix when it has none.
func (p *parser) topHints(o *object) Hints {
	if f, ok := o.get("hints"); ok {
		return p.hints(f, "hints")
	}
	return HintsFix
}
