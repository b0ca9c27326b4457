package ovsdbguard

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// MaxMessage bounds one message from a client, in bytes: the largest
// transaction a lab's tools send is a few kilobytes.
const MaxMessage = 1 << 20

// dialTimeout bounds reaching the real server for a new connection.
const dialTimeout = 5 * time.Second

// Guard is a socket that relays to one ovsdb-server.
type Guard struct {
	ln       *net.UnixListener
	upstream string
	logf     func(string, ...any)

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Listen makes a socket at path, in a directory only root can enter,
// that relays to the ovsdb-server listening on the unix socket at
// upstream. The socket gets group gid and mode 0660: connecting to a
// socket takes write permission on it, so members of gid may connect.
// logf, if not nil, is told of each refusal.
func Listen(path, upstream string, gid int, logf func(string, ...any)) (*Guard, error) {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("ovsdb guard: %w", err)
	}
	ln.SetUnlinkOnClose(true)
	err = os.Chown(path, 0, gid)
	if err == nil {
		err = os.Chmod(path, 0o660)
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("ovsdb guard: %w", err)
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	g := &Guard{ln: ln, upstream: upstream, logf: logf, conns: map[net.Conn]struct{}{}}
	g.wg.Add(1)
	go g.accept()
	return g, nil
}

// Path is where the guard's socket is.
func (g *Guard) Path() string { return g.ln.Addr().String() }

// Close stops listening, ends every relayed connection and removes the
// socket.
func (g *Guard) Close() error {
	g.mu.Lock()
	g.closed = true
	for c := range g.conns {
		c.Close()
	}
	g.mu.Unlock()
	err := g.ln.Close()
	g.wg.Wait()
	return err
}

func (g *Guard) accept() {
	defer g.wg.Done()
	for {
		c, err := g.ln.Accept()
		if err != nil {
			return
		}
		if !g.track(c) {
			c.Close()
			return
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			defer g.untrack(c)
			g.relay(c)
		}()
	}
}

func (g *Guard) track(c net.Conn) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return false
	}
	g.conns[c] = struct{}{}
	return true
}

func (g *Guard) untrack(c net.Conn) {
	g.mu.Lock()
	delete(g.conns, c)
	g.mu.Unlock()
	c.Close()
}

// relay carries one client's connection until either side ends it.
func (g *Guard) relay(client net.Conn) {
	up, err := net.DialTimeout("unix", g.upstream, dialTimeout)
	if err != nil {
		g.logf("ovsdb guard: %v", err)
		return
	}
	if !g.track(up) {
		up.Close()
		return
	}
	defer g.untrack(up)
	var wmu sync.Mutex // replies of ours and the server's, whole messages each
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer client.Close()
		dec := json.NewDecoder(up)
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return
			}
			wmu.Lock()
			_, err := client.Write(raw)
			wmu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	g.fromClient(client, up, &wmu)
	up.Close()
	<-done
}

// fromClient reads the client's messages, passes those Check accepts,
// re-encoded, and answers the others with an error.
func (g *Guard) fromClient(client, up net.Conn, wmu *sync.Mutex) {
	br := &boundedReader{r: client}
	dec := json.NewDecoder(br)
	br.dec = dec
	dec.UseNumber()
	toServer := json.NewEncoder(up)
	toServer.SetEscapeHTML(false)
	for {
		var v any
		if err := dec.Decode(&v); err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				g.logf("ovsdb guard: closing a client: %v", err)
			}
			return
		}
		msg, ok := v.(map[string]any)
		if !ok {
			g.logf("ovsdb guard: closing a client that sent a message that is not an object")
			return
		}
		if err := Check(msg); err != nil {
			g.logf("ovsdb guard: %v", err)
			id, hasID := msg["id"]
			if !hasID || id == nil {
				continue // a notification: nothing to answer
			}
			b, _ := json.Marshal(map[string]any{"id": id, "error": map[string]string{"error": "permission denied", "details": err.Error()}})
			wmu.Lock()
			_, werr := client.Write(b)
			wmu.Unlock()
			if werr != nil {
				return
			}
			continue
		}
		if err := toServer.Encode(msg); err != nil {
			return
		}
	}
}

// boundedReader refuses to read further once the decoder holds more
// than MaxMessage bytes it has not finished decoding: one message cannot
// make the guard (root) hold more.
type boundedReader struct {
	r    io.Reader
	dec  *json.Decoder
	read int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.read-b.dec.InputOffset() > MaxMessage {
		return 0, fmt.Errorf("a message over %d bytes", MaxMessage)
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}
