package scripts

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

// TestRootAction runs the composite action's steps as a runner would, on
// this machine: another repository's workspace with its own lab file (the
// reference lab, renamed), `with: {topology: lab.yaml}` and a release
// built from this checkout. The run: steps run under bash with the step's
// env: and GITHUB_OUTPUT/GITHUB_PATH files; the uses: steps (report,
// upload) cannot run here, so the test checks that what they are given
// exists. Afterwards the JUnit report is there and the lab is gone.
func TestRootAction(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip", "python3")
	testenv.RequireDocker(t)
	requireTools(t, "file", "dpkg-deb")
	const lab = "gr-act"
	dist := release(t)
	data, ok := catalog.Get("l3-vxlan")
	if !ok {
		t.Fatal("no built-in l3-vxlan")
	}
	text := strings.Replace(string(data), "name: l3-vxlan", "name: "+lab, 1)
	text = strings.ReplaceAll(text, "doc", "gradoc") // Docker names are machine-wide
	workspace, temp := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(workspace, "lab.yaml"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Only if the action's own down did not run.
		if _, err := os.Stat("/run/ovslab/" + lab); err == nil {
			out, _ := exec.Command(filepath.Join(temp, "ovslab", "bin", "ovslab"), "down", lab).CombinedOutput()
			t.Logf("cleanup: down %s: %s", lab, out)
		}
	})

	a := readAction(t)
	ctx := map[string]string{
		"github.action_path":       repo,
		"github.action_repository": "ovslab/ovslab",
		"github.action_ref":        "main",
		"github.server_url":        "https://github.com",
		"runner.temp":              temp,
	}
	for name, in := range a.Inputs {
		ctx["inputs."+name] = in.Default
	}
	ctx["inputs.topology"], ctx["inputs.release"] = "lab.yaml", dist
	eval := func(s string) string {
		return expr.ReplaceAllStringFunc(s, func(e string) string {
			k := expr.FindStringSubmatch(e)[1]
			v, ok := ctx[k]
			if !ok {
				t.Fatalf("action.yml uses ${{ %s }}, which this test does not provide", k)
			}
			return v
		})
	}
	// Conditions the action uses: always() with an input switch.
	cond := regexp.MustCompile(`^always\(\) && inputs\.([a-z-]+) == 'true'$`)

	failed := false
	for _, s := range a.Runs.Steps {
		if s.If != "" {
			m := cond.FindStringSubmatch(s.If)
			if m == nil {
				t.Fatalf("step %q: condition %q is not one this test knows", s.Name, s.If)
			}
			if ctx["inputs."+m[1]] != "true" {
				continue
			}
		} else if failed {
			continue
		}
		if s.Uses != "" {
			checkUses(t, s, workspace, eval)
			continue
		}
		out, code := runStep(t, s, workspace, eval)
		t.Logf("step %q: exit %d\n%s", s.Name, code, tail(out, 15))
		if code != 0 {
			t.Errorf("step %q failed (exit %d)", s.Name, code)
			failed = true
		}
		for k, v := range readOutputs(t, filepath.Join(workspace, ".output")) {
			ctx["steps."+s.ID+".outputs."+k] = v
		}
	}

	report := filepath.Join(workspace, ctx["inputs.artefacts"], "report.xml")
	var doc struct {
		Suites []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(readFile(t, report)), &doc); err != nil || len(doc.Suites) == 0 {
		t.Errorf("%s is not a JUnit report with suites: %v", report, err)
	}
	for _, f := range []string{"status.json", "graph.svg"} {
		if _, err := os.Stat(filepath.Join(workspace, ctx["inputs.artefacts"], f)); err != nil {
			t.Errorf("artefact missing: %v", err)
		}
	}
	if got := ctx["steps.lab.outputs.report"]; got != filepath.Join(ctx["inputs.artefacts"], "report.xml") {
		t.Errorf("output report = %q", got)
	}
	assertLabGone(t, lab)
}

// runStep runs a run: step as the runner does (bash -e -o pipefail, the
// step's env:, GITHUB_OUTPUT and GITHUB_PATH files, the workspace as the
// working directory) and returns its output and exit code.
func runStep(t *testing.T, s actionStep, workspace string, eval func(string) string) (string, int) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(script, []byte(s.Run), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(workspace, ".output")
	_ = os.WriteFile(out, nil, 0o644)
	c := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	c.Dir = workspace
	c.Env = append(os.Environ(), "GITHUB_OUTPUT="+out, "GITHUB_PATH="+filepath.Join(workspace, ".path"), "GITHUB_WORKSPACE="+workspace)
	for k, v := range s.Env {
		c.Env = append(c.Env, k+"="+eval(v))
	}
	b, err := c.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(b), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b), 0
}

// checkUses checks that what a uses: step is given exists: the report it
// publishes, the directory it uploads.
func checkUses(t *testing.T, s actionStep, workspace string, eval func(string) string) {
	t.Helper()
	for _, k := range []string{"report_paths", "path"} {
		if v, ok := s.With[k]; ok {
			if _, err := os.Stat(filepath.Join(workspace, eval(v))); err != nil {
				t.Errorf("step %q (%s) is given %s: %v", s.Name, s.Uses, k, err)
			}
		}
	}
}

// readOutputs reads a GITHUB_OUTPUT file of name=value lines.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, l := range strings.Split(readFile(t, path), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

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
