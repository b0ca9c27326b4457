package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/events"
	"github.com/ovslab/ovslab/internal/webterm"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// fake is a Backend without labs: it records what it was asked to do.
type fake struct {
	mu     sync.Mutex
	calls  []string // "check LAB", "reset LAB", "terminal LAB NODE", "trace LAB"
	events chan events.Event
	closed chan string // a terminal's node, when it is closed
	block  chan struct{}
}

func newFake() *fake {
	return &fake{events: make(chan events.Event, 16), closed: make(chan string, 16)}
}

func (f *fake) record(s string) {
	f.mu.Lock()
	f.calls = append(f.calls, s)
	f.mu.Unlock()
}

// called is every call recorded so far.
func (f *fake) called() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func (f *fake) Lab(_ context.Context, lab string, _ bool) (*LabView, error) {
	ok := true
	return &LabView{State: StateUp, Traceable: true, Hosts: []Node{{Name: "host1"}}, Containers: []Node{{Name: "doc1", Host: "host1", State: "running"}},
		Expectations: []Expectation{{From: "doc1", To: "doc3", Want: "reach: true", OK: &ok}}}, nil
}

func (f *fake) Graph(context.Context, string) ([]byte, error) {
	return []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), nil
}

func (f *fake) Check(_ context.Context, lab string) error {
	f.record("check " + lab)
	if f.block != nil {
		<-f.block
	}
	return nil
}

func (f *fake) Reset(_ context.Context, lab string) error {
	f.record("reset " + lab)
	return nil
}

func (f *fake) Trace(_ context.Context, lab, from, to string) (any, error) {
	f.record("trace " + lab)
	return map[string]string{"verdict": "delivered"}, nil
}

func (f *fake) Watch(context.Context) <-chan events.Event { return f.events }

func (f *fake) Terminal(_ context.Context, lab, node string, _, _ uint16) (webterm.Terminal, error) {
	f.record("terminal " + lab + " " + node)
	return newEcho(func() { f.closed <- node }), nil
}

// echo is a terminal that shows what is typed.
type echo struct {
	r       *io.PipeReader
	w       *io.PipeWriter
	once    sync.Once
	onClose func()
}

func newEcho(onClose func()) *echo {
	r, w := io.Pipe()
	return &echo{r: r, w: w, onClose: onClose}
}

func (e *echo) Read(p []byte) (int, error)  { return e.r.Read(p) }
func (e *echo) Write(p []byte) (int, error) { return e.w.Write(p) }
func (e *echo) Resize(uint16, uint16) error { return nil }
func (e *echo) Close() error {
	e.once.Do(func() { e.w.Close(); e.r.Close(); e.onClose() })
	return nil
}

// fixture is a server of two classes: net101 (alice, bob) and net202
// (carol), with a fake backend, and every token.
type fixture struct {
	t       *testing.T
	url     string
	srv     *Server
	fake    *fake
	teacher string // net101's
	alice   string
	bob     string
	other   string // net202's teacher
	carol   string
	logs    *logBook
}

// logBook keeps every line the server logged.
type logBook struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBook) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.TrimSpace(fmt.Sprintf(format, args...)))
}

func (l *logBook) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// useClasses points the class registry at a fresh directory.
func useClasses(t *testing.T) {
	t.Helper()
	old := class.Root
	class.Root = filepath.Join(t.TempDir(), "lib", "classes")
	t.Cleanup(func() { class.Root = old })
}

// register records a class of l3-vxlan and returns its tokens: the
// teacher's, then each student's.
func register(t *testing.T, name string, students ...string) (teacher string, each map[string]string) {
	t.Helper()
	src, _ := catalogLab(t, "l3-vxlan")
	u, err := class.URLsOf(&class.Class{Name: name, Lab: src, Students: students}, "http://127.0.0.1:7780")
	if err != nil {
		t.Fatal(err)
	}
	each = map[string]string{}
	for s, su := range u.Students {
		each[s] = tokenIn(t, su)
	}
	return tokenIn(t, u.Teacher), each
}

// catalogLab is a built-in lab as a class file names it.
func catalogLab(t *testing.T, name string) (*labs.Source, []byte) {
	t.Helper()
	data, ok := catalog.Get(name)
	if !ok {
		t.Fatalf("no built-in lab %s", name)
	}
	src, err := labs.FromData(topology.BuiltinPrefix+name, data)
	if err != nil {
		t.Fatal(err)
	}
	return src, data
}

func tokenIn(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p.Query().Get("token")
}

func newFixture(t *testing.T, o Options) *fixture {
	t.Helper()
	useClasses(t)
	f := &fixture{t: t, fake: newFake(), logs: &logBook{}}
	var st map[string]string
	f.teacher, st = register(t, "net101", "alice", "bob")
	f.alice, f.bob = st["alice"], st["bob"]
	f.other, st = register(t, "net202", "carol")
	f.carol = st["carol"]
	o.Backend, o.Logf = f.fake, f.logs.logf
	f.srv = New(o)
	// The tests send many bad tokens on purpose; TestBadTokens holds the
	// limit.
	f.srv.verifier.bad = newLimiter(time.Nanosecond, 1<<30)
	hs := httptest.NewServer(f.srv.Handler())
	t.Cleanup(func() {
		f.srv.Close()
		hs.Close()
		// No token is ever logged, whatever the test did.
		logs := f.logs.all()
		for _, tok := range []string{f.teacher, f.alice, f.bob, f.other, f.carol} {
			if strings.Contains(logs, tok) {
				t.Errorf("a token is in the server's log:\n%s", logs)
			}
		}
	})
	f.url = hs.URL
	return f
}

// do sends a request with the token as a Bearer header ("" for none)
// and the extra headers, and returns the response, body read.
func (f *fixture) do(method, path, token string, body io.Reader, hdr map[string]string) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// cookie sends a request with the token as the cookie a page URL sets.
func (f *fixture) cookie(method, path, token string, hdr map[string]string) (*http.Response, string) {
	f.t.Helper()
	h := map[string]string{"Cookie": cookieName + "=" + token}
	for k, v := range hdr {
		h[k] = v
	}
	return f.do(method, path, "", nil, h)
}

// stream opens /api/events with token and returns its events as they
// come.
func (f *fixture) stream(token string) <-chan events.Event {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("events: %s", resp.Status)
	}
	out := make(chan events.Event, 16)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var e events.Event
			if json.Unmarshal([]byte(data), &e) == nil {
				out <- e
			}
		}
	}()
	return out
}
