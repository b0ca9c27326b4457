package server

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs"
)

// classroom is a class of three students of l3-vxlan, up, served.
type classroom struct {
	c    *class.Class
	url  string
	urls *class.URLs
}

// The class of the root tests: its copies' names are fixed, so tests
// that use them run one at a time (the root lock).
const (
	testClass = "srvt"
)

var testStudents = []string{"ann", "ben", "cat"}

func newClassroom(t *testing.T) *classroom {
	t.Helper()
	testenv.RequireDocker(t)
	testenv.Require(t, "ip", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "iptables")
	useClasses(t)
	src, _ := catalogLab(t, "l3-vxlan")
	c := &class.Class{Name: testClass, Lab: src, Students: testStudents}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Registered first: a class half up is taken down too.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		res, err := class.Down(ctx, c, class.DownOptions{Forget: true})
		if err == nil && class.Failed(res) > 0 {
			for _, r := range res {
				if r.Err != nil {
					err = r.Err
				}
			}
		}
		if err != nil {
			t.Errorf("cleanup: class down: %v", err)
		}
	})
	res, err := class.Up(ctx, c, class.UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("class up: %s: %v", r.Student, r.Err)
		}
	}
	b, err := NewLabs(t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	s := New(Options{Backend: b, Logf: t.Logf, CheckEvery: time.Millisecond, TerminalEvery: time.Millisecond})
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close()
		hs.Close()
	})
	urls, err := class.URLsOf(c, hs.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &classroom{c: c, url: hs.URL, urls: urls}
}

// hostVeth is the name, in its host's netns, of the veth of a
// container's first interface.
func hostVeth(t *testing.T, lab, node string) (netns, veth string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := labs.GetStatus(ctx, lab, labs.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range st.Hosts {
		for _, c := range h.Containers {
			if c.Name == node && len(c.Interfaces) > 0 {
				return labs.NetnsName(lab, h.Name), c.Interfaces[0].HostVeth
			}
		}
	}
	t.Fatalf("lab %s has no container %s", lab, node)
	return "", ""
}

// TestRootBrowserClassroom: a class of three copies of l3-vxlan,
// served, in Chromium. The board shows every student; a student's page
// opens a terminal into a container and pings a peer, and a shell on an
// emulated host where ovs-vsctl works and /etc/shadow does not; a
// re-grade on the board turns a broken copy's row red and, once it is
// repaired by hand, green, without a reload; another student's lab is
// refused to this student's token.
func TestRootBrowserClassroom(t *testing.T) {
	room := newClassroom(t)
	browser := testenv.Browser(t)
	board := newTab(t, browser, "board")
	student := newTab(t, browser, "student")

	open(t, board, room.urls.Teacher, "board")
	waitJS(t, board, `document.querySelectorAll('#board-rows tr').length === 3`, "a row per student")
	names := eval[[]string](t, board, `Array.from(document.querySelectorAll('#board-rows tr .student')).map(b => b.textContent)`)
	if strings.Join(names, ",") != strings.Join(testStudents, ",") {
		t.Errorf("the board's students: %v, want %v", names, testStudents)
	}
	if got := eval[int](t, board, `document.querySelectorAll('#board-head th.exp').length`); got != 7 {
		t.Errorf("the board has %d expectation columns, want l3-vxlan's 7", got)
	}

	open(t, student, room.urls.Students["ann"], "student")
	waitJS(t, student, `document.querySelectorAll('#expectations li').length === 7`, "ann's expectations")
	click(t, student, `#check`)
	waitJS(t, student, `document.getElementById('state').dataset.ok === 'true' && document.querySelectorAll('#expectations li[data-ok="true"]').length === 7`,
		"ann's check, all green")
	openTerminal(t, student, "doc1")
	typeIn(t, student, "doc1", "ping -c1 -W5 10.0.1.20\r", "1 packets received")
	openTerminal(t, student, "host1")
	// ovs-vsctl show's first lines may scroll out, and its last is a
	// bridge's (ovslab's daemons record no ovs_version): its exit status
	// says it read the database, what it printed shows a port.
	typeIn(t, student, "host1", "ovs-vsctl show && echo shown-$((6*7))\r", "shown-42")
	if screen := eval[string](t, student, screenOf("host1")); !strings.Contains(screen, "    Interface ") {
		t.Errorf("ovs-vsctl show printed no interface:\n%s", screen)
	}
	typeIn(t, student, "host1", "cat /etc/shadow\r", "cat: /etc/shadow: Permission denied")
	// Not root, but the copy's own id; and its OVSDB keeps vswitchd's
	// files out of reach.
	typeIn(t, student, "host1", "echo uid=$(id -u)=\r", "uid=18")
	screen := eval[string](t, student, screenOf("host1"))
	m := regexp.MustCompile(`uid=(\d+)=`).FindStringSubmatch(screen)
	if id, err := strconv.Atoi(m[1]); err != nil || id < IDBase || id >= IDBase+IDSpan {
		t.Errorf("the host shell's uid %v is not a copy's: %v", m[1], err)
	}
	typeIn(t, student, "host1", "ovs-vsctl set-ssl /etc/k /etc/c /etc/ca 2>&1 | grep -q 'permission denied' && echo refused-$((6*7))\r", "refused-42")
	testenv.Screenshot(t, student, "student")
	fullScreenshot(t, student, "student")

	// A link down in ben's copy, graded from the board: red.
	ns, veth := hostVeth(t, "srvt-ben", "doc1")
	testenv.Run(t, "ip", "-n", ns, "link", "set", veth, "down")
	eval[any](t, board, `window.notReloaded = true`)
	ben := `#board-rows tr[data-lab="srvt-ben"]`
	click(t, board, ben+` button[data-action="check"]`)
	waitJS(t, board, `document.querySelector(`+js(ben)+`).dataset.ok === 'false'`, "ben's row red after a re-grade")
	// Repaired by hand, graded again: green, on the same page.
	testenv.Run(t, "ip", "-n", ns, "link", "set", veth, "up")
	waitJS(t, board, `!document.querySelector(`+js(ben+` button[data-action="check"]`)+`).disabled`, "ben's re-grade button back")
	click(t, board, ben+` button[data-action="check"]`)
	waitJS(t, board, `document.querySelector(`+js(ben)+`).dataset.ok === 'true'`, "ben's row green after the repair")
	if !eval[bool](t, board, `window.notReloaded === true`) {
		t.Error("the board reloaded")
	}
	click(t, board, ben+` .student`)
	waitJS(t, board, `document.getElementById('detail-graph').complete && document.getElementById('detail-graph').naturalWidth > 0`, "ben's graph")
	testenv.Screenshot(t, board, "board")

	// Ann's token on Ben's lab: refused, page and API and terminal alike.
	for _, p := range []string{"/api/labs/srvt-ben", "/api/labs/srvt-ben/graph", "/api/labs/srvt-ann/reset"} {
		method := "GET"
		if strings.HasSuffix(p, "/reset") {
			method = "POST"
		}
		if got := eval[int](t, student, `fetch(`+js(p)+`, {method: `+js(method)+`}).then(r => r.status)`); got != 403 {
			t.Errorf("ann's %s %s: %d, want 403", method, p, got)
		}
	}
	wsRefused := `new Promise(done => { const ws = new WebSocket('ws://' + location.host + '/api/labs/srvt-ben/terminal/doc1');
		ws.onopen = () => done('opened'); ws.onclose = () => done('refused'); })`
	if got := eval[string](t, student, wsRefused); got != "refused" {
		t.Errorf("ann's terminal into ben's doc1: %s", got)
	}
	open(t, student, room.url+"/", "student")
	if lab := eval[string](t, student, `document.body.dataset.lab`); lab != "srvt-ann" {
		t.Errorf("ann's page shows %s", lab)
	}
}

// containerIDs maps each container of lab to its Docker ID.
func containerIDs(t *testing.T, lab string) map[string]string {
	t.Helper()
	out := testenv.Run(t, "docker", "ps", "-a", "--filter", "label=ovslab.lab="+lab, "--format", "{{.Names}} {{.ID}}")
	ids := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if name, id, ok := strings.Cut(line, " "); ok {
			ids[name] = id
		}
	}
	return ids
}

// TestRootReset: the teacher's reset takes one copy down and up again,
// its containers made anew, and leaves the other copies alone; a
// student's reset is refused.
func TestRootReset(t *testing.T) {
	room := newClassroom(t)
	before := map[string]map[string]string{}
	for _, s := range testStudents {
		before[s] = containerIDs(t, testClass+"-"+s)
	}
	post := func(token, path string) int {
		req, _ := http.NewRequest("POST", room.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(tokenIn(t, room.urls.Students["cat"]), "/api/labs/srvt-cat/reset"); got != http.StatusForbidden {
		t.Errorf("a student's reset: %d", got)
	}
	teacher := tokenIn(t, room.urls.Teacher)
	if got := post(teacher, "/api/labs/srvt-cat/reset"); got != http.StatusAccepted {
		t.Fatalf("the teacher's reset: %d", got)
	}
	var v LabView
	testenv.Eventually(t, 3*time.Minute, func() error {
		req, _ := http.NewRequest("GET", room.url+"/api/labs/srvt-cat", nil)
		req.Header.Set("Authorization", "Bearer "+teacher)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		v = LabView{}
		if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
			return err
		}
		if v.Busy != "" || v.State != StateUp {
			return fmt.Errorf("cat's copy: %s, busy %q, %s", v.State, v.Busy, v.Problem)
		}
		return nil
	})
	after := containerIDs(t, "srvt-cat")
	if len(after) != 4 {
		t.Fatalf("cat's copy has %d containers after the reset: %v", len(after), after)
	}
	for name, id := range after {
		if before["cat"][name] == id {
			t.Errorf("%s was not made anew by the reset", name)
		}
	}
	for _, s := range []string{"ann", "ben"} {
		if got := containerIDs(t, testClass+"-"+s); !maps.Equal(got, before[s]) {
			t.Errorf("the reset of cat's copy touched %s's: %v, was %v", s, got, before[s])
		}
	}
}
