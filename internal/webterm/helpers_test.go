package webterm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
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
