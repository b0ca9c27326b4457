package scripts

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// action is the part of action.yml (the composite action at the
// repository root) that the tests read.
type action struct {
	Inputs map[string]struct {
		Default  string
		Required bool
	}
	Runs struct {
		Using string
		Steps []actionStep
	}
}

type actionStep struct {
	Name  string
	ID    string
	If    string
	Shell string
	Run   string
	Uses  string
	Env   map[string]string
	With  map[string]string
}

func readAction(t *testing.T) action {
	t.Helper()
	var a action
	if err := yaml.Unmarshal([]byte(readFile(t, "../action.yml")), &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml runs using %q, want composite", a.Runs.Using)
	}
	return a
}

// expr matches a GitHub Actions expression.
var expr = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// TestActionScripts: every run: step of the action is bash that
// shellcheck passes (actionlint checks workflows' scripts, not an
// action's), and carries no ${{ }} in its script, where a value with a
// quote in it would become code; values come in through env:.
func TestActionScripts(t *testing.T) {
	a := readAction(t)
	sc, err := exec.LookPath("shellcheck")
	if err != nil && os.Getenv("CI") == "true" {
		t.Fatal("needs shellcheck (CI must provide it: scripts/install-deps.sh --release)")
	}
	for _, s := range a.Runs.Steps {
		if s.Run == "" {
			continue
		}
		if s.Shell != "bash" {
			t.Errorf("step %q: shell %q, want bash", s.Name, s.Shell)
		}
		if expr.MatchString(s.Run) {
			t.Errorf("step %q has an expression in its script; pass it through env:", s.Name)
		}
		if sc == "" {
			continue
		}
		c := exec.Command(sc, "-s", "bash", "-")
		c.Stdin = strings.NewReader(s.Run)
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("shellcheck, step %q: %v\n%s", s.Name, err, out)
		}
	}
}

// TestActionDocumented: docs/ci.md shows the action used in five lines
// and names every input it has.
func TestActionDocumented(t *testing.T) {
	a := readAction(t)
	doc := readFile(t, "../docs/ci.md")
	_, sec, ok := strings.Cut(doc, "\n## GitHub Action\n")
	if !ok {
		t.Fatal("docs/ci.md has no section GitHub Action")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	for _, want := range []string{"uses: OWNER/ovslab@v1", "topology: lab.yaml"} {
		if !strings.Contains(sec, want) {
			t.Errorf("docs/ci.md, GitHub Action: no %q", want)
		}
	}
	for name := range a.Inputs {
		if !strings.Contains(sec, "`"+name+"`") {
			t.Errorf("docs/ci.md, GitHub Action: input %s is not described", name)
		}
	}
}
