package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/internal/testenv"
)

// The class of the root tests: three students of the reference lab.
const testClassName = "rcls"

var testStudents = []string{"ann", "ben", "cat"}

func writeClass(t *testing.T) string {
	t.Helper()
	return writeFile(t, "rcls.yaml", "class: "+testClassName+"\nlab: l3-vxlan\nstudents: ["+strings.Join(testStudents, ", ")+"]\n")
}

// eventLog runs `ovslab events ARG -o json` in another process for the
// rest of the test and collects what it prints.
type eventLog struct {
	mu   sync.Mutex
	evs  []events.Event
	cmd  *exec.Cmd
	done chan struct{}
}

func followEvents(t *testing.T, arg string) *eventLog {
	t.Helper()
	l := &eventLog{cmd: exec.Command(bin, "events", arg, "-o", "json"), done: make(chan struct{})}
	out, err := l.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	l.cmd.Stderr = &stderr
	if err := l.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var e events.Event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Errorf("events printed a line that is not an event: %q: %v", sc.Text(), err)
				continue
			}
			l.mu.Lock()
			l.evs = append(l.evs, e)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.cmd.Process.Kill()
		<-l.done
		_ = l.cmd.Wait()
		if t.Failed() {
			t.Logf("events stderr: %s", stderr.String())
		}
	})
	return l
}

// waitFor waits until every lab has an event of type typ.
func (l *eventLog) waitFor(t *testing.T, typ string, labs []string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() error {
		for _, lab := range labs {
			if l.index(lab, typ, 0) < 0 {
				return fmt.Errorf("no %s event of %s seen by the other process", typ, lab)
			}
		}
		return nil
	})
}

// index is the position of lab's first event of type typ from i on, or -1.
func (l *eventLog) index(lab, typ string, from int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := from; i < len(l.evs); i++ {
		if l.evs[i].Lab == lab && l.evs[i].Type == typ {
			return i
		}
	}
	return -1
}

func (l *eventLog) count(lab, typ string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range l.evs {
		if e.Lab == lab && e.Type == typ {
			n++
		}
	}
	return n
}

func copies() []string {
	var out []string
	for _, s := range testStudents {
		out = append(out, testClassName+"-"+s)
	}
	return out
}

// TestRootClass runs a class of three copies of the reference lab from
// its file: refused when memory is short, URLs, up, graded green in
// every output format, a broken copy graded red, ordinary lab commands on
// a copy, down leaving nothing, each step seen by `ovslab events` in
// another process, and the tokens checked against the registry.
func TestRootClass(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip")
	testenv.RequireDocker(t)
	file := writeClass(t)
	t.Cleanup(func() {
		if r := ovslab(t, "class", "down", file, "--forget"); r.code != 0 {
			t.Errorf("cleanup: class down --forget: %s", r)
		}
		for _, lab := range copies() {
			assertLabGone(t, lab)
		}
	})

	t.Run("refused when memory is short", func(t *testing.T) {
		r := ovslab(t, "class", "up", file, "--mem-available", "300000000")
		if r.code != 1 || !strings.Contains(r.stderr, "3 copies need about 144 MiB") || !strings.Contains(r.stderr, "only 286 MiB is available") {
			t.Fatalf("class up with 286 MiB free: %s; want exit 1 naming both figures", r)
		}
		for _, lab := range copies() {
			if _, err := os.Stat("/run/ovslab/" + lab); !os.IsNotExist(err) {
				t.Errorf("a refused class up made /run/ovslab/%s (%v)", lab, err)
			}
		}
		if _, err := os.Stat(filepath.Join(class.Root, testClassName)); !os.IsNotExist(err) {
			t.Errorf("a refused class up recorded the class (%v)", err)
		}
	})

	// URLs first, as a teacher hands them out before the lesson: this
	// records the class, so events can follow it by name.
	r := ovslab(t, "class", "urls", file, "-o", "json", "--base", "http://192.0.2.10:7780/")
	var urls class.URLs
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &urls) != nil || len(urls.Students) != 3 || !strings.HasPrefix(urls.Teacher, "http://192.0.2.10:7780/?token=") {
		t.Fatalf("class urls -o json: %s", r)
	}
	ev := followEvents(t, testClassName)

	start := time.Now()
	if r := ovslab(t, "class", "up", file); r.code != 0 || !strings.Contains(r.stdout, "class rcls: 3 of 3 copies up") {
		t.Fatalf("class up: %s", r)
	}
	t.Logf("class up of 3 copies: %s", time.Since(start).Round(time.Millisecond))
	ev.waitFor(t, events.UpDone, copies())
	for _, lab := range copies() {
		if i := ev.index(lab, events.UpStart, 0); i < 0 || ev.index(lab, events.UpStep, i) < 0 || ev.index(lab, events.UpDone, i) < 0 {
			t.Errorf("%s: up.start, up.step and up.done not seen in order", lab)
		}
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		for _, lab := range copies() {
			if n := ev.count(lab, events.ContainerStart); n < 4 {
				return fmt.Errorf("%s: %d container.start events, want 4", lab, n)
			}
		}
		return nil
	})

	t.Run("check, every format", func(t *testing.T) {
		r := ovslab(t, "class", "check", file)
		if r.code != 0 || !strings.Contains(r.stdout, "class rcls: 3 of 3 copies passed all") || strings.Contains(r.stdout, "failed checks") {
			t.Fatalf("class check: %s", r)
		}
		r = ovslab(t, "class", "check", testClassName, "-o", "json") // by its recorded name
		var js struct {
			Class    string `json:"class"`
			OK       bool   `json:"ok"`
			Students []struct {
				Student, Lab   string
				OK             bool
				Passed, Failed int
				Report         *struct{ Results []json.RawMessage }
			} `json:"students"`
		}
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &js) != nil || !js.OK || js.Class != testClassName || len(js.Students) != 3 {
			t.Fatalf("class check -o json: %s", r)
		}
		for i, s := range js.Students {
			if s.Student != testStudents[i] || s.Lab != copies()[i] || !s.OK || s.Passed < 20 || s.Failed != 0 || s.Report == nil || len(s.Report.Results) != s.Passed {
				t.Errorf("JSON of %s: %+v", testStudents[i], s)
			}
		}

		r = ovslab(t, "class", "check", file, "-o", "junit")
		var ju struct {
			Tests    int `xml:"tests,attr"`
			Failures int `xml:"failures,attr"`
			Suites   []struct {
				Name     string `xml:"name,attr"`
				Tests    int    `xml:"tests,attr"`
				Failures int    `xml:"failures,attr"`
				Cases    []struct {
					Name string `xml:"name,attr"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if r.code != 0 || xml.Unmarshal([]byte(r.stdout), &ju) != nil || len(ju.Suites) != 3 || ju.Failures != 0 {
			t.Fatalf("class check -o junit: %s", r)
		}
		for i, s := range ju.Suites {
			if s.Name != testStudents[i] || s.Tests < 20 || s.Failures != 0 || len(s.Cases) != s.Tests {
				t.Errorf("JUnit suite %d: %s, %d tests, %d failures", i, s.Name, s.Tests, s.Failures)
			}
		}

		r = ovslab(t, "class", "check", file, "-o", "csv")
		recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if r.code != 0 || err != nil || len(recs) != 4 {
			t.Fatalf("class check -o csv (%v): %s", err, r)
		}
		if !slices.Equal(recs[0][:7], []string{"student", "lab", "passed", "failed", "graded", "score", "error"}) || len(recs[0]) < 27 {
			t.Errorf("CSV header: %q", recs[0])
		}
		for i, rec := range recs[1:] {
			if rec[0] != testStudents[i] || rec[3] != "0" || rec[2] != rec[4] || rec[5] != "100.0" || rec[6] != "" {
				t.Errorf("CSV row of %s: %q", testStudents[i], rec[:7])
			}
			for j, c := range rec[7:] {
				if c != "1" {
					t.Errorf("CSV %s, %s: %q, want 1", testStudents[i], recs[0][7+j], c)
				}
			}
		}
		ev.waitFor(t, events.CheckDone, copies())
	})

	t.Run("a copy is an ordinary lab", func(t *testing.T) {
		lab := copies()[0]
		if r := ovslab(t, "exec", lab, "doc1", "--", "hostname"); r.code != 0 || strings.TrimSpace(r.stdout) != "doc1" {
			t.Errorf("exec %s doc1 hostname: %s", lab, r)
		}
		if r := ovslab(t, "status", lab); r.code != 0 || !strings.Contains(r.stdout, lab) {
			t.Errorf("status %s: %s", lab, r)
		}
		if r := ovslab(t, "graph", lab, "--check"); r.code != 0 {
			t.Errorf("graph %s --check: %s", lab, r)
		}
		r := ovslab(t, "class", "status", file, "-o", "json")
		var st struct {
			Copies []class.CopyStatus `json:"copies"`
		}
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil || len(st.Copies) != 3 {
			t.Fatalf("class status -o json: %s", r)
		}
		for _, c := range st.Copies {
			if c.State != class.StateUp || c.LastCheck == nil || !c.LastCheck.OK || c.Status == nil {
				t.Errorf("status of %s: %s, last check %+v", c.Lab, c.State, c.LastCheck)
			}
		}
	})

	t.Run("a broken copy is graded red", func(t *testing.T) {
		testenv.Run(t, "docker", "stop", "-t", "0", testClassName+"-ben-doc3")
		r := ovslab(t, "class", "check", file)
		if r.code != 1 || !strings.Contains(r.stdout, "class rcls: 2 of 3 copies passed") || !strings.Contains(r.stdout, "failed checks") {
			t.Fatalf("class check with ben's doc3 stopped: %s", r)
		}
		for _, line := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(line, "ben ") != strings.Contains(line, "X") && (strings.HasPrefix(line, "ann ") || strings.HasPrefix(line, "ben ") || strings.HasPrefix(line, "cat ")) {
				t.Errorf("only ben's row should have X: %q", line)
			}
		}
		r = ovslab(t, "class", "check", file, "-o", "csv")
		recs, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if r.code != 1 || err != nil || len(recs) != 4 || recs[2][0] != "ben" || recs[2][3] == "0" || recs[1][3] != "0" || !slices.Contains(recs[2][7:], "0") {
			t.Errorf("CSV with ben's doc3 stopped (%v): %s", err, r)
		}
		testenv.Eventually(t, 30*time.Second, func() error {
			if ev.count(testClassName+"-ben", events.ContainerDie) == 0 {
				return fmt.Errorf("no container.die of ben's doc3 seen")
			}
			return nil
		})
		// The board's reset: ben's copy anew, the others untouched.
		cl, err := class.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		annStarts := ev.count(testClassName+"-ann", events.UpStart)
		if err := class.Recreate(context.Background(), cl, "ben", class.UpOptions{}); err != nil {
			t.Fatal(err)
		}
		if r := ovslab(t, "class", "check", file); r.code != 0 {
			t.Errorf("class check after ben's copy was made anew: %s", r)
		}
		if n := ev.count(testClassName+"-ann", events.UpStart); n != annStarts {
			t.Errorf("recreating ben's copy touched ann's (%d up.start events, was %d)", n, annStarts)
		}
	})

	t.Run("tokens", func(t *testing.T) {
		id, err := class.Verify(tokenOfURL(urls.Students["ben"]))
		if err != nil || id.Lab != testClassName+"-ben" || id.May(testClassName+"-ann") || !id.May(testClassName+"-ben") {
			t.Errorf("ben's token: %+v, %v", id, err)
		}
		id, err = class.Verify(tokenOfURL(urls.Teacher))
		if err != nil || id.Role != class.RoleTeacher || len(id.Labs()) != 3 {
			t.Errorf("the teacher's token: %+v, %v", id, err)
		}
		// Stable: class up did not change them.
		r := ovslab(t, "class", "urls", testClassName, "-o", "json", "--base", "http://192.0.2.10:7780")
		var again class.URLs
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &again) != nil || again.Students["ann"] != urls.Students["ann"] {
			t.Errorf("URLs changed after class up: %s", r)
		}
	})

	if r := ovslab(t, "class", "down", file); r.code != 0 || !strings.Contains(r.stdout, "3 of 3 copies down") {
		t.Fatalf("class down: %s", r)
	}
	for _, lab := range copies() {
		assertLabGone(t, lab)
	}
	ev.waitFor(t, events.DownDone, copies())
	for _, lab := range copies() {
		up, chk, down := ev.index(lab, events.UpDone, 0), ev.index(lab, events.CheckDone, 0), ev.index(lab, events.DownDone, 0)
		if !(up < chk && chk < down) {
			t.Errorf("%s: up.done at %d, check.done at %d, down.done at %d: not in order", lab, up, chk, down)
		}
	}
	// Down keeps the class: its URLs work again when it comes back.
	if _, err := class.Verify(tokenOfURL(urls.Students["ann"])); err != nil {
		t.Errorf("ann's token after class down: %v", err)
	}
	if r := ovslab(t, "class", "down", file, "--forget"); r.code != 0 {
		t.Fatalf("class down --forget: %s", r)
	}
	if _, err := class.Verify(tokenOfURL(urls.Students["ann"])); err == nil {
		t.Error("ann's token works after class down --forget")
	}
	if _, err := os.Stat(filepath.Join(class.Root, testClassName)); !os.IsNotExist(err) {
		t.Errorf("class down --forget left %s (%v)", filepath.Join(class.Root, testClassName), err)
	}
}

func tokenOfURL(u string) string {
	p, _ := url.Parse(u)
	return p.Query().Get("token")
}
