package webterm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/coder/websocket"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/sandbox"
	"github.com/ovslab/ovslab/internal/testenv"
)

// served is a terminal server for one test: each websocket gets a /bin/sh
// on a PTY; started receives each PTY, ended what Serve returned.
type served struct {
	url     string
	started chan *PTY
	ended   chan error
}

func serveShell(t *testing.T, o Options) *served {
	t.Helper()
	s := &served{started: make(chan *PTY, 4), ended: make(chan error, 4)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, o)
		if err != nil {
			return
		}
		cmd := exec.Command("/bin/sh", "-i")
		cmd.Env = []string{"PS1=$ ", "TERM=dumb", "PATH=/usr/bin:/bin"}
		p, err := StartPTY(cmd, 80, 24)
		if err != nil {
			c.Fail(err.Error())
			return
		}
		s.started <- p
		s.ended <- c.Serve(context.Background(), p)
	}))
	t.Cleanup(srv.Close)
	s.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return s
}

func dial(t *testing.T, url string, hdr http.Header) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func send(t *testing.T, c *websocket.Conn, typ websocket.MessageType, data string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, typ, []byte(data)); err != nil {
		t.Fatal(err)
	}
}

// readUntil reads binary frames until their bytes hold want, and returns
// them.
func readUntil(t *testing.T, c *websocket.Conn, want string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got strings.Builder
	for !strings.Contains(got.String(), want) {
		typ, b, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("reading until %q: %v; got %q", want, err, got.String())
		}
		if typ != websocket.MessageBinary {
			t.Fatalf("a %v frame from the server", typ)
		}
		got.Write(b)
	}
	return got.String()
}

// closedWith reads until the server closes, and returns its close frame.
func closedWith(t *testing.T, c *websocket.Conn) websocket.CloseError {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, _, err := c.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("read ended with %v, not a close frame", err)
		}
		return ce
	}
}

func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }

// isZombie reports whether pid has exited and waits to be reaped.
func isZombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// TestMain lets this test binary start sandboxed shells, as ovslab's main
// does.
func TestMain(m *testing.M) {
	sandbox.Init()
	os.Exit(m.Run())
}

// browserTimeout bounds each browser step; the whole tier takes seconds.
const browserTimeout = 20 * time.Second

// termServer serves the terminal page under /static/ and, at /term, a
// terminal that start opens for each websocket.
func termServer(t *testing.T, start func() (Terminal, func(), error)) string {
	t.Helper()
	// Handlers outlive the request (the socket is hijacked): the test
	// waits for them, after t.Context is cancelled, which ends Serve.
	var handlers sync.WaitGroup
	mux := http.NewServeMux()
	mux.Handle("/static/", http.StripPrefix("/static/", AssetHandler()))
	mux.HandleFunc("/term", func(w http.ResponseWriter, r *http.Request) {
		handlers.Add(1)
		defer handlers.Done()
		c, err := Accept(w, r, Options{})
		if err != nil {
			return
		}
		term, release, err := start()
		if err != nil {
			t.Errorf("starting the terminal: %v", err)
			c.Fail(err.Error())
			return
		}
		defer release()
		if err := c.Serve(t.Context(), term); err != nil {
			t.Logf("Serve: %v", err)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		handlers.Wait()
	})
	return srv.URL
}

// rowsText is the terminal's screen as the page shows it, line by line.
const rowsText = `document.querySelector('#terminal .xterm-rows').innerText.replace(/\u00a0/g, ' ')`

// typeAndSee types keys into the terminal on the page and waits until a
// line of the screen is exactly want.
func typeAndSee(t *testing.T, tab context.Context, keys, want string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, browserTimeout)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Focus(chromedp.CSS(`#terminal .xterm-helper-textarea`)), testenv.TypeKeys(keys))
	ok := false
	if err == nil {
		ok, err = chromedp.Run(ctx, chromedp.Poll[bool](rowsText+`.split('\n').some(l => l.trimEnd() === `+jsString(want)+`)`,
			chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	if err != nil || !ok {
		screen, _ := chromedp.Run(tab, chromedp.Evaluate[string](rowsText))
		t.Fatalf("typed %q, waiting for a line %q: %v\nscreen:\n%s", keys, want, err, screen)
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// openTerminal loads the page and waits for its websocket to open.
func openTerminal(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, browserTimeout)
	defer cancel()
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/static/terminal.html?ws=/term"))
	open := false
	if err == nil {
		open, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById('terminal').dataset.state === 'open'`,
			chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	if err != nil || !open {
		t.Fatalf("terminal page: %v", err)
	}
}

// Both backends are Terminals.
var (
	_ Terminal = (*PTY)(nil)
	_ Terminal = (*containers.TTY)(nil)
)
