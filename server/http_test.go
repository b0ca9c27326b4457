package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ovslab/ovslab/internal/testenv"
)

// route is one route of the server as a request.
type route struct {
	method, path string
	body         string
}

// labRoutes are every route of alice's lab or bob's.
func labRoutes(lab string) []route {
	p := "/api/labs/" + lab
	return []route{
		{"GET", p, ""},
		{"GET", p + "/graph", ""},
		{"POST", p + "/check", ""},
		{"POST", p + "/reset", ""},
		{"POST", p + "/trace", `{"from":"doc1","to":"doc3"}`},
		{"GET", p + "/terminal/doc1", ""},
		{"GET", p + "/terminal/host1", ""},
	}
}

var openRoutes = []route{{"GET", "/api/labs", ""}, {"GET", "/api/events", ""}}

// TestCannot: every route refuses a request without a valid token
// (401), and a token that is not for that lab or route (403), and
// nothing reaches the backend.
func TestCannot(t *testing.T) {
	f := newFixture(t, Options{})
	type tc struct {
		name  string
		token string
		r     route
		want  int
	}
	var cases []tc
	bad := map[string]string{
		"absent":           "",
		"garbage":          "not-a-token",
		"a teacher's, cut": f.teacher[:len(f.teacher)-1],
		"a student's, one character changed": func() string {
			b := []byte(f.alice)
			b[3] ^= 1
			return string(b)
		}(),
	}
	all := append(append(labRoutes("net101-alice"), labRoutes("net101-bob")...), openRoutes...)
	for name, tok := range bad {
		for _, r := range all {
			cases = append(cases, tc{name, tok, r, http.StatusUnauthorized})
		}
		cases = append(cases, tc{name, tok, route{"GET", "/", ""}, http.StatusUnauthorized})
	}
	for _, r := range labRoutes("net101-bob") {
		cases = append(cases, tc{"another student's", f.alice, r, http.StatusForbidden})
	}
	for _, r := range labRoutes("net101-alice") {
		cases = append(cases, tc{"another class's teacher", f.other, r, http.StatusForbidden},
			tc{"another class's student", f.carol, r, http.StatusForbidden})
	}
	for _, r := range labRoutes("net202-carol") {
		cases = append(cases, tc{"a teacher of another class", f.teacher, r, http.StatusForbidden})
	}
	cases = append(cases, tc{"a student, on a teacher route", f.alice, route{"POST", "/api/labs/net101-alice/reset", ""}, http.StatusForbidden})
	for _, c := range cases {
		var body *strings.Reader
		if c.r.body != "" {
			body = strings.NewReader(c.r.body)
		}
		var resp *http.Response
		var text string
		if body != nil {
			resp, text = f.do(c.r.method, c.r.path, c.token, body, nil)
		} else {
			resp, text = f.do(c.r.method, c.r.path, c.token, nil, nil)
		}
		if resp.StatusCode != c.want {
			t.Errorf("%s token, %s %s: %s %s, want %d", c.name, c.r.method, c.r.path, resp.Status, text, c.want)
		}
	}
	if calls := f.fake.called(); len(calls) > 0 {
		t.Errorf("refused requests reached the backend: %v", calls)
	}
}

// TestCan: each token does what it may.
func TestCan(t *testing.T) {
	f := newFixture(t, Options{})
	for _, r := range []struct {
		token, method, path string
		want                int
	}{
		{f.alice, "GET", "/api/labs/net101-alice", 200},
		{f.alice, "GET", "/api/labs/net101-alice/graph", 200},
		{f.alice, "POST", "/api/labs/net101-alice/check", 202},
		{f.teacher, "GET", "/api/labs/net101-bob", 200},
		{f.teacher, "POST", "/api/labs/net101-bob/reset", 202},
		{f.other, "GET", "/api/labs/net202-carol", 200},
	} {
		if resp, body := f.do(r.method, r.path, r.token, nil, nil); resp.StatusCode != r.want {
			t.Errorf("%s %s: %s %s, want %d", r.method, r.path, resp.Status, body, r.want)
		}
	}
	var list []LabView
	_, body := f.do("GET", "/api/labs", f.teacher, nil, nil)
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 2 || list[0].Student != "alice" || list[1].Student != "bob" {
		t.Errorf("the teacher's labs: %v %s", err, body)
	}
	_, body = f.do("GET", "/api/labs", f.alice, nil, nil)
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list) != 1 || list[0].Lab != "net101-alice" || list[0].Class != "net101" {
		t.Errorf("alice's labs: %v %s", err, body)
	}
	resp, page := f.do("GET", "/", f.teacher, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `data-page="board"`) {
		t.Errorf("the teacher's page: %s", resp.Status)
	}
	resp, page = f.do("GET", "/", f.alice, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(page, `data-lab="net101-alice"`) {
		t.Errorf("alice's page: %s", resp.Status)
	}
	testenvEventually(t, func() bool {
		c := f.fake.called()
		return slices.Contains(c, "check net101-alice") && slices.Contains(c, "reset net101-bob")
	})
}

// TestTokenInURL: a page URL's token becomes an HttpOnly, SameSite=Strict
// cookie and the page moves on without it; a token in any other URL is
// refused, valid or not, and never reaches a route.
func TestTokenInURL(t *testing.T) {
	f := newFixture(t, Options{})
	resp, body := f.do("GET", "/?token="+f.alice, "", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `http-equiv="refresh" content="0;url=/"`) {
		t.Fatalf("sign-in: %s %s", resp.Status, body)
	}
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == cookieName {
			c = k
		}
	}
	if c == nil || c.Value != f.alice || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure {
		t.Fatalf("cookie %+v", c)
	}
	if got := resp.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q on the page with the token", got)
	}
	if r, _ := f.cookie("GET", "/api/labs/net101-alice", f.alice, nil); r.StatusCode != 200 {
		t.Errorf("the cookie does not work: %s", r.Status)
	}
	resp, _ = f.do("GET", "/?token=nope", "", nil, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("sign-in with a bad token: %s", resp.Status)
	}
	for _, k := range resp.Cookies() {
		if k.Name == cookieName && k.Value != "" {
			t.Errorf("a bad token set a cookie: %+v", k)
		}
	}
	for _, r := range append(labRoutes("net101-alice"), openRoutes...) {
		resp, _ := f.do(r.method, r.path+"?token="+f.alice, "", nil, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s?token=: %s, want 400", r.method, r.path, resp.Status)
		}
	}
	if resp, _ := f.do("POST", "/?token="+f.alice, "", nil, nil); resp.StatusCode == 200 {
		t.Errorf("POST /?token= answered 200")
	}
	if calls := f.fake.called(); len(calls) > 0 {
		t.Errorf("a token in a URL reached the backend: %v", calls)
	}
}

// TestCrossOrigin: a state-changing request from another site's page is
// refused, with the cookie or without; one from the server's own page,
// or a script's with a Bearer header, passes.
func TestCrossOrigin(t *testing.T) {
	f := newFixture(t, Options{CheckEvery: time.Nanosecond})
	check := "/api/labs/net101-alice/check"
	for _, c := range []struct {
		name   string
		cookie bool
		hdr    map[string]string
		want   int
	}{
		{"cookie, another site's Origin", true, map[string]string{"Origin": "http://evil.example"}, 403},
		{"cookie, cross-site fetch", true, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		{"cookie, same-site (another port or subdomain)", true, map[string]string{"Sec-Fetch-Site": "same-site"}, 403},
		{"cookie, no Origin at all", true, nil, 403},
		{"cookie, Origin null", true, map[string]string{"Origin": "null"}, 403},
		{"bearer, another site's Origin", false, map[string]string{"Origin": "http://evil.example"}, 403},
		{"cookie, own page", true, map[string]string{"Origin": f.url, "Sec-Fetch-Site": "same-origin"}, 202},
		{"cookie, own Origin only", true, map[string]string{"Origin": f.url}, 202},
		{"bearer, a script", false, nil, 202},
	} {
		var resp *http.Response
		var body string
		if c.cookie {
			resp, body = f.cookie("POST", check, f.alice, c.hdr)
		} else {
			resp, body = f.do("POST", check, f.alice, nil, c.hdr)
		}
		if resp.StatusCode != c.want {
			t.Errorf("%s: %s %s, want %d", c.name, resp.Status, body, c.want)
		}
		if resp.StatusCode == 202 {
			testenvEventually(t, func() bool { return f.srv.busyWith("net101-alice") == "" })
		}
	}
}

// TestWebsocketOrigin: a terminal opens only from the server's own page.
func TestWebsocketOrigin(t *testing.T) {
	f := newFixture(t, Options{})
	ws := "ws" + strings.TrimPrefix(f.url, "http") + "/api/labs/net101-alice/terminal/doc1"
	dial := func(hdr http.Header) (*websocket.Conn, *http.Response, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: hdr})
	}
	cookie := cookieName + "=" + f.alice
	for name, hdr := range map[string]http.Header{
		"another site":           {"Cookie": {cookie}, "Origin": {"http://evil.example"}},
		"another port":           {"Cookie": {cookie}, "Origin": {"http://127.0.0.1:1"}},
		"other scheme":           {"Cookie": {cookie}, "Origin": {"https://" + strings.TrimPrefix(f.url, "http://")}},
		"the cookie, no Origin":  {"Cookie": {cookie}},
		"a header, wrong Origin": {"Authorization": {"Bearer " + f.alice}, "Origin": {"http://evil.example"}},
	} {
		c, resp, err := dial(hdr)
		if err == nil {
			c.CloseNow()
			t.Errorf("%s: the terminal opened", name)
			continue
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %v, want 403", name, err)
		}
	}
	if calls := f.fake.called(); len(calls) > 0 {
		t.Errorf("a refused terminal reached the backend: %v", calls)
	}
	c, _, err := dial(http.Header{"Cookie": {cookie}, "Origin": {f.url}})
	if err != nil {
		t.Fatalf("from the server's own page: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, websocket.MessageBinary, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, b, err := c.Read(ctx); err != nil || string(b) != "hello" {
		t.Fatalf("echo: %q %v", b, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	select {
	case n := <-f.fake.closed:
		if n != "doc1" {
			t.Errorf("closed terminal %s", n)
		}
	case <-ctx.Done():
		t.Fatal("the terminal was not closed with its socket")
	}
}

// TestPathTricks: a lab or node name from a URL is used only as the
// exact name of one the token may use.
func TestPathTricks(t *testing.T) {
	f := newFixture(t, Options{})
	for _, p := range []string{
		"/api/labs/net101-bob%2F..%2Fnet101-alice",
		"/api/labs/net101-alice%2F..%2Fnet101-bob",
		"/api/labs/..%2Fnet101-bob",
		"/api/labs/net101-alice/../net101-bob",
		"/api/labs/net101-alice%00",
		"/api/labs/net101-alice%20",
		"/api/labs/net101-ALICE",
		"/api/labs/%2e%2e",
		"/api/labs/net101-bob/graph",
		"/api/labs/net101-alice/terminal/..%2F..%2Fnet101-bob%2Fterminal%2Fdoc1",
	} {
		resp, body := f.do("GET", p, f.alice, nil, nil)
		if resp.StatusCode == 200 || resp.StatusCode == 101 {
			t.Errorf("GET %s: %s %s", p, resp.Status, body)
		}
	}
	for _, node := range []string{"doc2", "..%2Fhost1", "host1%2F", "host1%00", "doc1%20", "%2e%2e", "router", "wan"} {
		hdr := map[string]string{"Origin": f.url}
		resp, body := f.do("GET", "/api/labs/net101-alice/terminal/"+node, f.alice, nil, hdr)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("terminal %s: %s %s, want 404", node, resp.Status, body)
		}
	}
	if calls := f.fake.called(); len(calls) > 0 {
		t.Errorf("a trick reached the backend: %v", calls)
	}
}

// TestBodies: a request body is small, or refused before any route
// reads it.
func TestBodies(t *testing.T) {
	f := newFixture(t, Options{})
	big := strings.Repeat("x", maxBody+1)
	for _, p := range []string{"/api/labs/net101-alice/trace", "/api/labs/net101-alice/check"} {
		resp, body := f.do("POST", p, f.alice, strings.NewReader(big), nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with %d bytes: %s %s", p, len(big), resp.Status, body)
		}
	}
	// Chunked: no length to refuse up front; the route's read is cut.
	resp, body := f.do("POST", "/api/labs/net101-alice/trace", f.alice, struct{ *strings.Reader }{strings.NewReader(`{"from":"` + big + `"}`)}, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a chunked body of %d bytes: %s %s", len(big), resp.Status, body)
	}
	resp, _ = f.do("POST", "/api/labs/net101-alice/trace", f.alice, strings.NewReader(`{"from":"doc1","to":"doc3","x":1}`), nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown field: %s", resp.Status)
	}
	if calls := f.fake.called(); len(calls) > 0 {
		t.Errorf("a refused body reached the backend: %v", calls)
	}
}

// TestHeaders: every answer, refusals included, carries the headers
// that keep a page from being framed, sniffed or leaking its URL.
func TestHeaders(t *testing.T) {
	f := newFixture(t, Options{})
	for _, r := range []struct{ method, path, token string }{
		{"GET", "/", f.alice}, {"GET", "/", ""}, {"GET", "/api/labs", ""}, {"GET", "/api/labs/net101-bob", f.alice},
		{"GET", "/static/style.css", ""}, {"GET", "/static/term/vendor/xterm.js", ""}, {"GET", "/nowhere", ""},
	} {
		resp, _ := f.do(r.method, r.path, r.token, nil, nil)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") ||
			strings.Contains(strings.Split(strings.SplitAfter(csp, "script-src")[1], ";")[0], "unsafe-inline") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s %s: CSP %q", r.method, r.path, csp)
		}
		for k, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
			if h.Get(k) != want {
				t.Errorf("%s %s: %s %q, want %q", r.method, r.path, k, h.Get(k), want)
			}
		}
	}
	if resp, _ := f.do("GET", "/static/", "", nil, nil); resp.StatusCode != 404 {
		t.Errorf("a directory listing: %s", resp.Status)
	}
	resp, _ := f.do("GET", "/api/labs/net101-alice/graph", f.alice, nil, nil)
	if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("graph: %s, CSP %q", ct, resp.Header.Get("Content-Security-Policy"))
	}
}

// testenvEventually polls cond for up to ten seconds.
func testenvEventually(t *testing.T, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, func() error {
		if !cond() {
			return errors.New("not yet")
		}
		return nil
	})
}
