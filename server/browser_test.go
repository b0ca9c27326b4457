package server

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/internal/testenv"
)

// graded is a fake whose labs' expectation passes or fails as the test
// says.
type graded struct {
	*fake
	mu sync.Mutex
	ok map[string]bool
}

func (g *graded) Lab(ctx context.Context, lab string, full bool) (*LabView, error) {
	v, _ := g.fake.Lab(ctx, lab, full)
	g.mu.Lock()
	ok, graded := g.ok[lab]
	g.mu.Unlock()
	if !graded {
		v.Expectations[0].OK = nil
		return v, nil
	}
	v.Expectations[0].OK = &ok
	v.Expectations[0].Message = "doc1 reaches doc3 across the tunnel"
	v.LastCheck = &LastCheck{At: time.Now(), OK: ok, ProbesPassed: 3}
	if !ok {
		v.LastCheck.Failed = 1
	}
	return v, nil
}

func (g *graded) set(lab string, ok bool) {
	g.mu.Lock()
	g.ok[lab] = ok
	g.mu.Unlock()
}

// TestBrowserBoardLive: the board lists every student of the class and
// a row follows its lab's checks as they come, without a reload; the
// student's page shows the lab's expectation with the teacher's message.
func TestBrowserBoardLive(t *testing.T) {
	f := newFixture(t, Options{})
	g := &graded{fake: f.fake, ok: map[string]bool{}}
	f.srv.o.Backend = g
	browser := testenv.Browser(t)
	board := newTab(t, browser, "board")
	open(t, board, f.url+"/?token="+f.teacher, "board")
	waitJS(t, board, `document.querySelectorAll('#board-rows tr').length === 2`, "a row per student")
	bob := `document.querySelector('#board-rows tr[data-lab="net101-bob"]')`
	waitJS(t, board, bob+`.dataset.ok === 'none'`, "bob's row not graded")
	eval[any](t, board, `window.notReloaded = true`)
	for _, ok := range []bool{false, true} {
		g.set("net101-bob", ok)
		f.fake.events <- events.Event{Time: time.Now(), Lab: "net101-bob", Type: events.CheckDone}
		want := "false"
		if ok {
			want = "true"
		}
		waitJS(t, board, bob+`.dataset.ok === `+js(want), "bob's row "+want)
	}
	if !eval[bool](t, board, `window.notReloaded === true`) {
		t.Error("the board reloaded")
	}
	click(t, board, `#board-rows tr[data-lab="net101-bob"] .student`)
	waitJS(t, board, `!document.getElementById('detail').hidden && document.getElementById('detail-graph').complete`, "bob's detail")
	testenv.Screenshot(t, board, "board")
	click(t, board, `#board-rows tr[data-lab="net101-bob"] button[data-action="check"]`)
	testenvEventually(t, func() bool { return len(f.fake.called()) > 0 && f.fake.called()[0] == "check net101-bob" })

	student := newTab(t, browser, "student")
	g.set("net101-alice", false)
	open(t, student, f.url+"/?token="+f.alice, "student")
	waitJS(t, student, `(li => li && li.dataset.ok === 'false' && li.textContent.includes('across the tunnel'))(document.querySelector('#expectations li'))`,
		"alice's failed expectation with its message")
	testenv.Screenshot(t, student, "student")
	if got := eval[[]string](t, student, `Array.from(document.querySelectorAll('#term-buttons button')).map(b => b.dataset.node)`); len(got) != 2 {
		t.Errorf("terminal buttons for %v, want doc1 and host1", got)
	}
}
