package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestRateLimits: a student checks once per CheckEvery and opens
// terminals in a burst, then slowly; a teacher re-grades at will.
func TestRateLimits(t *testing.T) {
	f := newFixture(t, Options{CheckEvery: time.Hour, TerminalEvery: time.Hour, TerminalBurst: 2})
	check := "/api/labs/net101-alice/check"
	if resp, _ := f.do("POST", check, f.alice, nil, nil); resp.StatusCode != 202 {
		t.Fatalf("first check: %s", resp.Status)
	}
	testenvEventually(t, func() bool { return f.srv.busyWith("net101-alice") == "" })
	resp, _ := f.do("POST", check, f.alice, nil, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second check: %s, Retry-After %q", resp.Status, resp.Header.Get("Retry-After"))
	}
	if resp, _ := f.do("POST", "/api/labs/net101-alice/trace", f.alice, strings.NewReader(`{"from":"doc1","to":"doc3"}`), nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a trace after a check: %s", resp.Status)
	}
	for range 3 {
		if resp, _ := f.do("POST", check, f.teacher, nil, nil); resp.StatusCode != 202 {
			t.Errorf("a teacher's check: %s", resp.Status)
		}
		testenvEventually(t, func() bool { return f.srv.busyWith("net101-alice") == "" })
	}
	ws := "ws" + strings.TrimPrefix(f.url, "http") + "/api/labs/net101-alice/terminal/doc1"
	hdr := http.Header{"Authorization": {"Bearer " + f.alice}}
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, resp, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: hdr})
		cancel()
		if i < 2 {
			if err != nil {
				t.Fatalf("terminal %d: %v", i, err)
			}
			c.CloseNow()
			continue
		}
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("terminal %d past the burst: %v", i, err)
		}
	}
}

// TestConcurrentTerminals: a token holds MaxTerminals open at once.
func TestConcurrentTerminals(t *testing.T) {
	f := newFixture(t, Options{MaxTerminals: 2})
	ws := "ws" + strings.TrimPrefix(f.url, "http") + "/api/labs/net101-alice/terminal/doc1"
	hdr := http.Header{"Authorization": {"Bearer " + f.alice}}
	var open []*websocket.Conn
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, resp, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: hdr})
		cancel()
		if i < 2 {
			if err != nil {
				t.Fatalf("terminal %d: %v", i, err)
			}
			open = append(open, c)
			continue
		}
		if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a third terminal at once: %v", err)
		}
	}
	open[0].Close(websocket.StatusNormalClosure, "")
	<-f.fake.closed
	testenvEventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: hdr})
		if err == nil {
			c.CloseNow()
		}
		return err == nil
	})
	open[1].CloseNow()
}

// TestBadTokens: a client that sends tokens that are none is cut off
// (429) before the registry is read for each; a token verified before
// still works from the same address.
func TestBadTokens(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.verifier.bad = newLimiter(time.Hour, 5)
	if resp, _ := f.do("GET", "/api/labs", f.alice, nil, nil); resp.StatusCode != 200 {
		t.Fatalf("alice: %s", resp.Status)
	}
	bad := []byte(f.bob)
	bad[0] ^= 1
	for i := range 5 {
		if resp, _ := f.do("GET", "/api/labs", string(bad), nil, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("bad token %d: %s", i, resp.Status)
		}
	}
	resp, _ := f.do("GET", "/api/labs", string(bad), nil, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("the 6th bad token: %s", resp.Status)
	}
	if resp, _ := f.do("GET", "/?token="+string(bad), "", nil, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("a bad page URL past the limit: %s", resp.Status)
	}
	if resp, _ := f.do("GET", "/api/labs", f.alice, nil, nil); resp.StatusCode != 200 {
		t.Errorf("alice, verified before, past the limit: %s", resp.Status)
	}
}
