package testenv

import (
	"net"
	"path/filepath"
	"sync"
	"testing"
)

// SilentSocket listens on a unix socket named name in a temporary
// directory, accepts every connection and never answers: a daemon that is
// there but stuck. The listener and every connection close when the test
// ends. It returns the socket's path.
func SilentSocket(t testing.TB, name string) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), name)
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		closed bool
		conns  []net.Conn
	)
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		closed = true
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			// Held open, never read: the client waits for an answer.
			mu.Lock()
			if closed {
				c.Close()
			} else {
				conns = append(conns, c)
			}
			mu.Unlock()
		}
	}()
	return sock
}
