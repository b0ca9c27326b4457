package webterm

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ovslab/ovslab/internal/procs"
	"github.com/ovslab/ovslab/internal/testenv"
)

func TestServeCarriesBytesAndResize(t *testing.T) {
	s := serveShell(t, Options{})
	c := dial(t, s.url, nil)
	send(t, c, websocket.MessageText, `{"resize":[100,30]}`)
	send(t, c, websocket.MessageBinary, "stty size; echo $((6*7))\r")
	out := readUntil(t, c, "42")
	if !strings.Contains(out, "30 100\r\n") {
		t.Errorf("stty size after a resize to 100x30: %q", out)
	}
	send(t, c, websocket.MessageBinary, "exit\r")
	if ce := closedWith(t, c); ce.Code != websocket.StatusNormalClosure || ce.Reason != reasonEnded {
		t.Errorf("close after exit: %v, want 1000 %q", ce, reasonEnded)
	}
	if err := <-s.ended; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestServeEndsSessionWhenSocketCloses: a background job and a foreground
// command of the shell are gone once the browser closes the socket.
func TestServeEndsSessionWhenSocketCloses(t *testing.T) {
	s := serveShell(t, Options{})
	c := dial(t, s.url, nil)
	p := <-s.started
	send(t, c, websocket.MessageBinary, "sleep 1000 & echo started-$((1+1)); sleep 1001\r")
	readUntil(t, c, "started-2")
	var pids []int
	testenv.Eventually(t, 10*time.Second, func() error {
		var err error
		pids, err = procs.Session(p.cmd.Process.Pid)
		if err == nil && len(pids) < 3 {
			err = errorf("session %v: want the shell and two sleeps", pids)
		}
		return err
	})
	if err := c.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatal(err)
	}
	if err := <-s.ended; err != nil {
		t.Errorf("Serve: %v", err)
	}
	testenv.Eventually(t, 10*time.Second, func() error {
		for _, pid := range pids {
			if syscall.Kill(pid, 0) == nil && !isZombie(pid) {
				return errorf("pid %d of the closed terminal still runs", pid)
			}
		}
		return nil
	})
}

func TestServeIdleTimeout(t *testing.T) {
	s := serveShell(t, Options{IdleTimeout: 300 * time.Millisecond})
	c := dial(t, s.url, nil)
	if ce := closedWith(t, c); ce.Code != websocket.StatusNormalClosure || ce.Reason != reasonIdle {
		t.Errorf("close of an idle terminal: %v, want 1000 %q", ce, reasonIdle)
	}
}

func TestServeReadLimit(t *testing.T) {
	s := serveShell(t, Options{ReadLimit: 1024})
	c := dial(t, s.url, nil)
	send(t, c, websocket.MessageBinary, strings.Repeat("x", 2048))
	if ce := closedWith(t, c); ce.Code != websocket.StatusMessageTooBig {
		t.Errorf("close after a 2048-byte message over a 1024 limit: %v, want 1009", ce)
	}
}

func TestServeBadMessage(t *testing.T) {
	for _, msg := range []string{"hello", `{"resize":[0,24]}`, `{"resize":[80,24],"x":1}`, `{"resize":[80]}`} {
		s := serveShell(t, Options{})
		c := dial(t, s.url, nil)
		send(t, c, websocket.MessageText, msg)
		if ce := closedWith(t, c); ce.Code != websocket.StatusUnsupportedData || ce.Reason != reasonBad {
			t.Errorf("close after %q: %v, want 1003 %q", msg, ce, reasonBad)
		}
		if err := <-s.ended; err == nil {
			t.Errorf("Serve after %q returned no error", msg)
		}
	}
}

func TestAcceptOrigin(t *testing.T) {
	cases := []struct {
		name   string
		check  func(*http.Request) bool
		origin string
		ok     bool
	}{
		{"default: another site", nil, "http://evil.example", false},
		{"default: no Origin (not a browser)", nil, "", true},
		{"hook refuses", func(*http.Request) bool { return false }, "", false},
		{"hook admits another site", func(r *http.Request) bool { return r.Header.Get("Origin") == "https://lab.example" }, "https://lab.example", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := serveShell(t, Options{CheckOrigin: tc.check})
			hdr := http.Header{}
			if tc.origin != "" {
				hdr.Set("Origin", tc.origin)
			}
			ctx := t.Context()
			c, resp, err := websocket.Dial(ctx, s.url, &websocket.DialOptions{HTTPHeader: hdr})
			if tc.ok {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				_ = c.CloseNow()
				return
			}
			if err == nil {
				_ = c.CloseNow()
				t.Fatal("accepted")
			}
			if resp == nil || resp.StatusCode != http.StatusForbidden {
				t.Errorf("refusal %v, want 403", err)
			}
		})
	}
}

func TestParseResize(t *testing.T) {
	cols, rows, err := parseResize([]byte(` {"resize": [132, 43]} `))
	if err != nil || cols != 132 || rows != 43 {
		t.Errorf("parseResize: %d %d %v, want 132 43", cols, rows, err)
	}
	for _, bad := range []string{`{}`, `{"resize":[1001,5]}`, `{"resize":[-1,5]}`, `{"resize":"80x24"}`, `{"resize":[80,24]} {}`, `[80,24]`} {
		if _, _, err := parseResize([]byte(bad)); err == nil {
			t.Errorf("parseResize(%s) accepted", bad)
		}
	}
}
