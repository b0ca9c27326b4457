package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// A walkthrough is a catalog lab's README as a test runs it: its ```sh
// blocks in order, each line one command with the outcome its comment
// promises (the conventions are in labs/catalog/doc.go).

// step is one command of a walkthrough.
type step struct {
	line    int    // in the README, for messages
	command string // as written, comment included
	want    outcome
	quoted  []string // text the output must hold
	hidden  bool     // from <!-- run: -->, not shown to the reader
}

// outcome is what a command's comment promises.
type outcome int

const (
	succeeds   outcome = iota
	fails              // "no reply", "lost", "fails", "FAIL"
	allPass            // "all green", "all passed": a check with every check passing
	background         // ends in &: runs until its block ends, not judged
)

func (o outcome) String() string {
	return [...]string{"succeeds", "fails", "all checks pass", "runs in the background"}[o]
}

// block is one ```sh block: the commands that run together, background
// ones until the block ends.
type block struct{ steps []step }

var (
	answersRe = regexp.MustCompile(`^<!--\s*answers:\s*(.*?)\s*-->$`)
	runRe     = regexp.MustCompile(`^<!--\s*run:\s*(.*?)\s*-->$`)
	quotedRe  = regexp.MustCompile(`"([^"]+)"`)
)

// parseWalkthrough reads a README into its blocks.
func parseWalkthrough(readme string) ([]block, error) {
	var (
		blocks  []block
		cur     *block
		answers []outcome // for the "?" lines of the next block
	)
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		n, text := i+1, strings.TrimSpace(lines[i])
		if cur == nil {
			switch {
			case text == "```sh":
				blocks = append(blocks, block{})
				cur = &blocks[len(blocks)-1]
			case answersRe.MatchString(text):
				answers = nil
				for _, a := range strings.Split(answersRe.FindStringSubmatch(text)[1], ",") {
					o, ok := outcomeOf(a)
					if !ok {
						return nil, fmt.Errorf("line %d: answer %q is none of works, no reply, lost, fails, all passed", n, strings.TrimSpace(a))
					}
					answers = append(answers, o)
				}
			case runRe.MatchString(text):
				blocks = append(blocks, block{steps: []step{{line: n, command: runRe.FindStringSubmatch(text)[1], hidden: true}}})
			case strings.HasPrefix(text, "<!--"):
				return nil, fmt.Errorf("line %d: an HTML comment that is neither answers: nor run: (%s)", n, text)
			}
			continue
		}
		if text == "```" {
			if len(answers) > 0 {
				return nil, fmt.Errorf("line %d: %d answers left over: the block has fewer \"?\" lines", n, len(answers))
			}
			cur = nil
			continue
		}
		command := lines[i]
		for strings.HasSuffix(command, `\`) && i+1 < len(lines) { // continued lines
			i++
			command = strings.TrimSuffix(command, `\`) + "\n" + lines[i]
		}
		if strings.TrimSpace(command) == "" || strings.HasPrefix(strings.TrimSpace(command), "#") {
			continue
		}
		s := step{line: n, command: command}
		code, comment := splitComment(command)
		switch {
		case strings.HasSuffix(strings.TrimSpace(code), "&"):
			s.want = background
		case strings.TrimSpace(comment) == "?" || strings.HasPrefix(strings.TrimSpace(comment), "? "):
			if len(answers) == 0 {
				return nil, fmt.Errorf("line %d: a \"?\" line without an <!-- answers: --> before its block", n)
			}
			s.want, answers = answers[0], answers[1:]
		default:
			s.want, _ = outcomeOf(comment)
		}
		for _, m := range quotedRe.FindAllStringSubmatch(comment, -1) {
			s.quoted = append(s.quoted, m[1])
		}
		cur.steps = append(cur.steps, s)
	}
	if cur != nil {
		return nil, fmt.Errorf("a ```sh block is never closed")
	}
	return blocks, nil
}

// outcomeOf reads the outcome a comment promises; ok says it names one.
func outcomeOf(comment string) (o outcome, ok bool) {
	c := quotedRe.ReplaceAllString(comment, "") // quoted output is not a promise of success or failure
	lc := strings.ToLower(c)
	switch {
	case strings.Contains(lc, "all green"), strings.Contains(lc, "all passed"):
		return allPass, true
	case strings.Contains(lc, "no reply"), strings.Contains(lc, "lost"), strings.Contains(lc, "fails"), strings.HasPrefix(strings.TrimSpace(c), "FAIL"):
		return fails, true
	case strings.Contains(lc, "works"):
		return succeeds, true
	}
	return succeeds, false
}

// splitComment cuts a shell line at its comment: a # that starts a word
// outside quotes.
func splitComment(line string) (code, comment string) {
	var quote rune
	for i, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '\'' || r == '"':
			quote = r
		case r == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return line[:i], line[i+1:]
		}
	}
	return line, ""
}

// forCopy rewrites a command of lab's walkthrough to act on copy, the lab
// brought up under another name (up --name), as a student sharing a
// machine would: up gets --name, every other ovslab command, netns and
// run directory names the copy, and Docker commands name its containers
// (COPY-NODE). labs, plan, validate and graph take the built-in lab and
// keep its name.
func forCopy(command, lab, copyName string, nodes []string) string {
	code, comment := splitComment(command)
	if comment != "" {
		comment = "#" + comment
	}
	sub := ovslabCmdRe.FindStringSubmatch(code)
	switch {
	case sub != nil && sub[1] == "up":
		code = strings.Replace(code, "ovslab up", "ovslab up --name "+copyName, 1)
	case sub != nil && slices.Contains([]string{"labs", "plan", "validate", "graph"}, sub[1]):
	default:
		code = labWordRe(lab).ReplaceAllString(code, "${1}"+copyName)
	}
	code = dockerCmdRe.ReplaceAllStringFunc(code, func(d string) string {
		for _, n := range nodes {
			d = regexp.MustCompile(`(\s)`+regexp.QuoteMeta(n)+`(\s|$)`).ReplaceAllString(d, "${1}"+copyName+"-"+n+"${2}")
		}
		return d
	})
	return code + comment
}

var (
	ovslabCmdRe = regexp.MustCompile(`(?:^|[\s;(])ovslab\s+([a-z-]+)`)
	// dockerCmdRe is a docker command up to where a shell word list ends.
	dockerCmdRe = regexp.MustCompile(`docker\s+[^;|&)]*`)
)

// labWordRe matches lab as a word of its own, as a netns prefix
// (LAB-host1) or a run directory (/run/ovslab/LAB/).
func labWordRe(lab string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[\s/=])` + regexp.QuoteMeta(lab) + `(?:\b|$)`)
}

// catalogREADME is a built-in lab's README as written, HTML comments
// included.
func catalogREADME(t *testing.T, lab string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "labs", "catalog", lab, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// catalogNodes lists the containers of built-in lab name.
func catalogNodes(t *testing.T, name string) []string {
	t.Helper()
	data, _ := catalog.Get(name)
	top, err := topology.Parse(topology.BuiltinPrefix+name, data)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range top.Containers {
		out = append(out, c.Name)
	}
	return out
}

// TestWalkthroughsParse: every catalog README reads as a walkthrough, and
// every step has a command and an outcome the test can judge.
func TestWalkthroughsParse(t *testing.T) {
	for _, name := range catalog.Names() {
		t.Run(name, func(t *testing.T) {
			blocks, err := parseWalkthrough(catalogREADME(t, name))
			if err != nil {
				t.Fatal(err)
			}
			steps := 0
			for _, b := range blocks {
				steps += len(b.steps)
			}
			if steps == 0 {
				t.Fatal("no commands")
			}
			last := blocks[len(blocks)-1].steps
			if got := last[len(last)-1].command; !strings.Contains(got, "ovslab down "+name) {
				t.Errorf("the walkthrough ends with %q, not with taking the lab down", got)
			}
		})
	}
}

// TestWalkthroughConventions pins the conventions of labs/catalog/doc.go.
func TestWalkthroughConventions(t *testing.T) {
	readme := "Intro.\n\n```sh\novslab up --emulate x      # note the warning\n" +
		"ovslab exec x a -- ping -c2 -W1 10.0.0.2   # no reply: \"100% packet loss\"\n" +
		"ovslab check x    # all green\n" +
		"ovslab check x -o junit   # ok/FAIL per probe\n" +
		"ip netns exec x-host1 tcpdump -c 4 -ni eth0 &\n" +
		"echo 'a # b'   # works\n```\n\n<!-- answers: works, lost -->\n```sh\nping -s 1400 y   # ?\nping -s 1472 y   # ?\n```\n" +
		"<!-- run: sed -i s/a/b/ topology.yaml -->\n"
	blocks, err := parseWalkthrough(readme)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range blocks {
		for _, s := range b.steps {
			got = append(got, fmt.Sprintf("%d %s %q %v", s.line, s.want, s.quoted, s.hidden))
		}
	}
	want := []string{
		`4 succeeds [] false`, `5 fails ["100% packet loss"] false`, `6 all checks pass [] false`, `7 succeeds [] false`,
		`8 runs in the background [] false`, `9 succeeds [] false`,
		`14 succeeds [] false`, `15 fails [] false`, `17 succeeds [] true`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{
		"```sh\nping y  # ?\n```\n",                          // no answers
		"<!-- answers: maybe -->\n```sh\nping y  # ?\n```\n", // not an outcome
		"<!-- note: x -->\n",                                 // an unknown directive
		"```sh\nls\n",                                        // never closed
	} {
		if _, err := parseWalkthrough(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestForCopy: a walkthrough's commands act on the copy, as written
// otherwise.
func TestForCopy(t *testing.T) {
	nodes := []string{"doc1", "doc3", "db"}
	for _, tc := range []struct{ in, want string }{
		{"ovslab up --emulate mtu-broken", "ovslab up --name wt-mtu-broken --emulate mtu-broken"},
		{"ovslab up --emulate topology.yaml      # note the warning", "ovslab up --name wt-mtu-broken --emulate topology.yaml      # note the warning"},
		{"ovslab labs mtu-broken --yaml > topology.yaml", "ovslab labs mtu-broken --yaml > topology.yaml"},
		{"ovslab plan mtu-broken --emulate --host host1", "ovslab plan mtu-broken --emulate --host host1"},
		{"ovslab exec mtu-broken doc1 -- ping -c2 10.0.1.20   # works", "ovslab exec wt-mtu-broken doc1 -- ping -c2 10.0.1.20   # works"},
		{"ip netns exec mtu-broken-host1 tcpdump -ni eth0", "ip netns exec wt-mtu-broken-host1 tcpdump -ni eth0"},
		{"OVS_RUNDIR=/run/ovslab/mtu-broken/host1 ovs-vsctl show", "OVS_RUNDIR=/run/ovslab/wt-mtu-broken/host1 ovs-vsctl show"},
		{"nsenter -t $(docker inspect -f '{{.State.Pid}}' doc3) -n iperf3 -s -D", "nsenter -t $(docker inspect -f '{{.State.Pid}}' wt-mtu-broken-doc3) -n iperf3 -s -D"},
		{"docker rm -f db", "docker rm -f wt-mtu-broken-db"},
		{"docker ps --format '{{.Names}} {{.CreatedAt}}'     # doc1 was not recreated", "docker ps --format '{{.Names}} {{.CreatedAt}}'     # doc1 was not recreated"},
		{"ovslab down mtu-broken", "ovslab down wt-mtu-broken"},
	} {
		if got := forCopy(tc.in, "mtu-broken", "wt-mtu-broken", nodes); got != tc.want {
			t.Errorf("forCopy(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
