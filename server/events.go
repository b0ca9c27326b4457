package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/events"
)

// BusyEvent is the type of the events the server adds to the labs' own:
// a check or reset it runs on a lab began (fields: busy, "check" or
// "reset") or ended (busy "", and error if it failed).
const BusyEvent = "server.busy"

// subBuffer is how many events a slow reader may fall behind before its
// stream is closed; its browser reconnects and reads the state afresh.
const subBuffer = 256

// hub hands every event to the streams whose token may see its lab.
type hub struct {
	mu   sync.Mutex
	subs map[*sub]struct{}
}

type sub struct {
	id   *class.Identity
	ch   chan events.Event
	gone bool // closed for falling behind
}

func newHub() *hub { return &hub{subs: map[*sub]struct{}{}} }

// run relays src until it closes or ctx ends.
func (h *hub) run(ctx context.Context, src <-chan events.Event) {
	if src == nil {
		return
	}
	for {
		select {
		case e, ok := <-src:
			if !ok {
				return
			}
			h.publish(e)
		case <-ctx.Done():
			return
		}
	}
}

func (h *hub) publish(e events.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if s.gone || !s.id.May(e.Lab) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			s.gone = true
			close(s.ch)
		}
	}
}

func (h *hub) subscribe(id *class.Identity) *sub {
	s := &sub{id: id, ch: make(chan events.Event, subBuffer)}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) unsubscribe(s *sub) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// count is how many streams are open.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Stream keepalives and writes.
const (
	keepalive   = 25 * time.Second
	eventWrite  = 10 * time.Second
	retryMillis = 3000
)

// reverify is how often a stream's token is verified again (a var for
// tests).
var reverify = 30 * time.Second

// events streams, as server-sent events, every event of the labs the
// token may see: one JSON object (events.Event) per message. The token
// is verified again every reverify: a rotated class's streams end.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if !s.allow(w, r, RouteEvents, "") {
		return
	}
	id := who(r)
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	sub := s.hub.subscribe(id)
	defer s.hub.unsubscribe(sub)
	write := func(format string, args ...any) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(eventWrite))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write("retry: %d\n\n", retryMillis) {
		return
	}
	ctx, stop := s.requestContext(r)
	defer stop()
	ping := time.NewTicker(keepalive)
	defer ping.Stop()
	check := time.NewTicker(reverify)
	defer check.Stop()
	for {
		select {
		case e, ok := <-sub.ch:
			if !ok {
				return
			}
			b, err := json.Marshal(e)
			if err != nil || !write("data: %s\n\n", b) {
				return
			}
		case <-ping.C:
			if !write(": keepalive\n\n") {
				return
			}
		case <-check.C:
			if !s.stillValid(r, id) {
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// stillValid verifies the request's token again: it must still stand
// for id.
func (s *Server) stillValid(r *http.Request, id *class.Identity) bool {
	tok, ok := bearer(r)
	if !ok {
		c, err := r.Cookie(cookieName)
		if err != nil {
			return false
		}
		tok = c.Value
	}
	now, err := s.verify(tok)
	return err == nil && now.Role == id.Role && now.Class == id.Class && now.Student == id.Student
}
