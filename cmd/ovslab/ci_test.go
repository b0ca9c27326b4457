package main

import (
	"os"
	"strings"
	"testing"
)

// TestCIRecipeIsDocumented keeps docs/ci.md and the workflow in step with
// scripts/ci-lab.sh, the recipe TestRootCIRecipe runs: the page shows the
// script verbatim and the workflow as it is.
func TestCIRecipeIsDocumented(t *testing.T) {
	doc := readRepoFile(t, "docs/ci.md")
	script := readRepoFile(t, "scripts/ci-lab.sh")
	workflow := readRepoFile(t, ".github/workflows/lab.yml")

	if got := fence(t, section(t, doc, "## The recipe"), "sh", 1); got != script {
		t.Errorf("docs/ci.md, The recipe: the second sh block is not scripts/ci-lab.sh; copy the script into it")
	}
	if got := fence(t, section(t, doc, "## GitHub Actions"), "yaml", 0); !strings.Contains(workflow, got) {
		t.Errorf("docs/ci.md, GitHub Actions: the yaml block is not part of .github/workflows/lab.yml:\n%s", got)
	}
	if !strings.Contains(workflow, "scripts/ci-lab.sh l3-vxlan") {
		t.Errorf(".github/workflows/lab.yml does not run scripts/ci-lab.sh on the reference lab")
	}
	for _, cmd := range []string{"up --emulate", "check \"$lab\" -o junit", "status \"$lab\" -o json", "graph \"$file\" --format svg", "capture \"$lab\"", "/run/ovslab/\"$lab\"/\"$h\"/*.log", "down \"$lab\""} {
		if !strings.Contains(script, cmd) {
			t.Errorf("scripts/ci-lab.sh lacks %q", cmd)
		}
	}
}

func readRepoFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("../../" + path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section is the text under heading, up to the next heading of any level
// outside a code block (a script's comments start with # too).
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	_, body, ok := strings.Cut(doc, "\n"+heading+"\n")
	if !ok {
		t.Fatalf("no section %q", heading)
	}
	var b strings.Builder
	code := false
	for _, l := range strings.SplitAfter(body, "\n") {
		if strings.HasPrefix(l, "```") {
			code = !code
		}
		if !code && strings.HasPrefix(l, "#") {
			break
		}
		b.WriteString(l)
	}
	return b.String()
}

// fence is the n-th (0-based) code block of language lang in text.
func fence(t *testing.T, text, lang string, n int) string {
	t.Helper()
	rest := text
	for i := 0; ; i++ {
		_, after, ok := strings.Cut(rest, "```"+lang+"\n")
		if !ok {
			t.Fatalf("no %s block number %d", lang, n)
		}
		block, tail, ok := strings.Cut(after, "\n```")
		if !ok {
			t.Fatalf("unterminated %s block", lang)
		}
		if i == n {
			return block + "\n"
		}
		rest = tail
	}
}
