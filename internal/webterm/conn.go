package webterm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

// Terminal is the far end of a web terminal.
type Terminal interface {
	// Read returns what the terminal wrote; an error (io.EOF) when it
	// ended.
	Read(p []byte) (int, error)
	// Write sends keystrokes.
	Write(p []byte) (int, error)
	// Resize sets the terminal's size in characters.
	Resize(cols, rows uint16) error
	// Close ends the terminal and every process it started, and returns
	// once they are gone. Calling it again does nothing.
	Close() error
}

// Options bound one connection. Zero fields take the defaults.
type Options struct {
	// ReadLimit is the largest message accepted from the browser, in
	// bytes (DefaultReadLimit); the page splits pastes to fit.
	ReadLimit int64
	// WriteTimeout bounds sending one frame to the browser
	// (DefaultWriteTimeout): a browser that stops reading is dropped.
	WriteTimeout time.Duration
	// IdleTimeout closes a terminal when no frame passed either way for
	// that long (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// PingInterval is how often the server pings, to notice a browser
	// that vanished without closing (DefaultPingInterval).
	PingInterval time.Duration
	// CheckOrigin decides whether the request's Origin may open a
	// terminal; nil allows only the request's own host (or no Origin
	// header: not a browser).
	CheckOrigin func(r *http.Request) bool
}

// Defaults of Options.
const (
	DefaultReadLimit    = 64 << 10
	DefaultWriteTimeout = 10 * time.Second
	DefaultIdleTimeout  = 30 * time.Minute
	DefaultPingInterval = 30 * time.Second
)

// Close codes and reasons the page shows.
const (
	reasonEnded = "terminal ended"
	reasonIdle  = "idle"
	reasonBad   = "bad message"
)

// ErrOrigin is returned by Accept when CheckOrigin refused the request.
var ErrOrigin = errors.New("webterm: origin not allowed")

func (o Options) withDefaults() Options {
	if o.ReadLimit <= 0 {
		o.ReadLimit = DefaultReadLimit
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	return o
}

// Conn is one accepted terminal websocket.
type Conn struct {
	ws *websocket.Conn
	o  Options
}

// Accept upgrades the request to a websocket. On failure it has already
// answered the request (403 for a refused Origin).
func Accept(w http.ResponseWriter, r *http.Request, o Options) (*Conn, error) {
	o = o.withDefaults()
	ao := &websocket.AcceptOptions{}
	if o.CheckOrigin != nil {
		if !o.CheckOrigin(r) {
			http.Error(w, "origin not allowed", http.StatusForbidden)
			return nil, ErrOrigin
		}
		ao.InsecureSkipVerify = true // checked just above
	}
	ws, err := websocket.Accept(w, r, ao)
	if err != nil {
		return nil, fmt.Errorf("webterm: %w", err)
	}
	ws.SetReadLimit(o.ReadLimit)
	return &Conn{ws: ws, o: o}, nil
}

// Fail closes the socket of a terminal that could not be started, with
// reason (at most 120 bytes are sent).
func (c *Conn) Fail(reason string) {
	if len(reason) > 120 {
		reason = reason[:120]
	}
	_ = c.ws.Close(websocket.StatusInternalError, reason)
}

// end is why a connection ends: the close frame to send, and the error
// Serve returns (nil for an ordinary end).
type end struct {
	code   websocket.StatusCode
	reason string
	err    error
}

// Serve carries t both ways until the terminal ends, the browser goes,
// nothing passes for IdleTimeout, or ctx is done; then closes t (its
// processes are gone when Serve returns) and the socket.
func (c *Conn) Serve(ctx context.Context, t Terminal) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Buffered for every sender (output, input, one ping): whichever
	// ends first is read, the others must not block.
	ends := make(chan end, 3)
	active := make(chan struct{}, 1)
	touch := func() {
		select {
		case active <- struct{}{}:
		default:
		}
	}
	send := func(e end) {
		select {
		case ends <- e:
		default: // another end is already waiting
		}
	}
	go c.output(ctx, t, touch, send)
	go c.input(ctx, t, touch, send)

	idle := time.NewTimer(c.o.IdleTimeout)
	defer idle.Stop()
	ping := time.NewTicker(c.o.PingInterval)
	defer ping.Stop()
	var e end
wait:
	for {
		select {
		case e = <-ends:
			break wait
		case <-active:
			idle.Reset(c.o.IdleTimeout)
		case <-idle.C:
			e = end{code: websocket.StatusNormalClosure, reason: reasonIdle}
			break wait
		case <-ping.C:
			go func() {
				pctx, cancel := context.WithTimeout(ctx, c.o.WriteTimeout)
				defer cancel()
				if err := c.ws.Ping(pctx); err != nil && ctx.Err() == nil {
					send(end{code: websocket.StatusGoingAway, err: fmt.Errorf("webterm: ping: %w", err)})
				}
			}()
		case <-ctx.Done():
			e = end{code: websocket.StatusGoingAway, reason: "server closing"}
			break wait
		}
	}
	cerr := t.Close()
	_ = c.ws.Close(e.code, e.reason)
	return errors.Join(e.err, cerr)
}

// output sends what the terminal writes, one frame per read.
func (c *Conn) output(ctx context.Context, t Terminal, touch func(), send func(end)) {
	buf := make([]byte, 32<<10)
	for {
		n, err := t.Read(buf)
		if n > 0 {
			wctx, cancel := context.WithTimeout(ctx, c.o.WriteTimeout)
			werr := c.ws.Write(wctx, websocket.MessageBinary, buf[:n])
			cancel()
			if werr != nil {
				send(end{code: websocket.StatusGoingAway, err: browserErr(werr)})
				return
			}
			touch()
		}
		if err != nil {
			send(end{code: websocket.StatusNormalClosure, reason: reasonEnded})
			return
		}
	}
}

// input passes keystrokes and resizes to the terminal.
func (c *Conn) input(ctx context.Context, t Terminal, touch func(), send func(end)) {
	for {
		typ, data, err := c.ws.Read(ctx)
		if err != nil {
			e := end{code: websocket.StatusGoingAway, err: browserErr(err)}
			if errors.Is(err, websocket.ErrMessageTooBig) {
				e.code, e.reason = websocket.StatusMessageTooBig, "message too big"
			}
			send(e)
			return
		}
		touch()
		if typ == websocket.MessageBinary {
			if _, err := t.Write(data); err != nil {
				send(end{code: websocket.StatusNormalClosure, reason: reasonEnded})
				return
			}
			continue
		}
		cols, rows, err := parseResize(data)
		if err != nil {
			send(end{code: websocket.StatusUnsupportedData, reason: reasonBad, err: err})
			return
		}
		// A terminal that cannot resize any more has ended; output
		// reports that.
		_ = t.Resize(cols, rows)
	}
}

// browserErr is nil when the browser simply closed the socket.
func browserErr(err error) error {
	switch websocket.CloseStatus(err) {
	case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
		return nil
	}
	return fmt.Errorf("webterm: %w", err)
}

// maxSize bounds a resize: a terminal of a million cells is a mistake or
// an attack, not a screen.
const maxSize = 1000

// parseResize reads {"resize":[cols,rows]}.
func parseResize(data []byte) (cols, rows uint16, err error) {
	var m struct {
		Resize *[2]int `json:"resize"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil || m.Resize == nil || dec.More() {
		return 0, 0, fmt.Errorf("webterm: text frame %.40q is not {\"resize\":[cols,rows]}", data)
	}
	c, r := m.Resize[0], m.Resize[1]
	if c < 1 || r < 1 || c > maxSize || r > maxSize {
		return 0, 0, fmt.Errorf("webterm: resize to %dx%d, out of 1..%d", c, r, maxSize)
	}
	return uint16(c), uint16(r), nil
}
