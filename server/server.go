package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ovslab/ovslab/class"
)

// Options are the knobs of a Server. Zero fields take the defaults.
type Options struct {
	// Backend is what is served.
	Backend Backend
	// Verify says who a token stands for; nil is class.Verify.
	Verify func(token string) (class.Identity, error)
	// TLS says the server is reached over TLS: its cookie is Secure.
	TLS bool
	// Logf logs a line (requests, sign-ins, jobs; never a token); nil
	// logs nothing.
	Logf func(format string, args ...any)
	// CheckEvery is how often a student may ask for a check
	// (DefaultCheckEvery); a teacher is not limited.
	CheckEvery time.Duration
	// TerminalEvery is how often a student may open a terminal after a
	// first burst of TerminalBurst (DefaultTerminalEvery, DefaultTerminalBurst).
	TerminalEvery time.Duration
	TerminalBurst int
	// MaxTerminals bounds the terminals one token holds open at once
	// (DefaultMaxTerminals).
	MaxTerminals int
	// MaxJobs bounds the checks and resets running at once
	// (class.DefaultParallel()); more wait their turn.
	MaxJobs int
}

// Defaults of Options.
const (
	DefaultCheckEvery    = 10 * time.Second
	DefaultTerminalEvery = 3 * time.Second
	DefaultTerminalBurst = 8
	DefaultMaxTerminals  = 8
)

// Server serves the classes of this machine. Make it with New.
type Server struct {
	o        Options
	verify   func(string) (class.Identity, error) // afresh, every time
	verifier *verifier                            // remembered, and limited per client
	handler  http.Handler

	// base is the context of every request and job: cancelled when the
	// server shuts down, it ends event streams, terminals and jobs.
	base   context.Context
	cancel context.CancelFunc
	live   sync.WaitGroup // terminals and jobs, waited for at shutdown

	hub        *hub
	checks     *limiter
	termOpens  *limiter
	termsOpen  *counter
	jobs       chan struct{}
	busyMu     sync.Mutex
	busy       map[string]string // lab → "check" or "reset"
	watchStart sync.Once
}

// New makes a Server; Handler serves it, Serve listens.
func New(o Options) *Server {
	if o.Verify == nil {
		o.Verify = class.Verify
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = DefaultCheckEvery
	}
	if o.TerminalEvery <= 0 {
		o.TerminalEvery = DefaultTerminalEvery
	}
	if o.TerminalBurst <= 0 {
		o.TerminalBurst = DefaultTerminalBurst
	}
	if o.MaxTerminals <= 0 {
		o.MaxTerminals = DefaultMaxTerminals
	}
	if o.MaxJobs <= 0 {
		o.MaxJobs = class.DefaultParallel()
	}
	s := &Server{
		o:         o,
		verify:    o.Verify,
		verifier:  newVerifier(o.Verify),
		hub:       newHub(),
		checks:    newLimiter(o.CheckEvery, 1),
		termOpens: newLimiter(o.TerminalEvery, o.TerminalBurst),
		termsOpen: newCounter(o.MaxTerminals),
		jobs:      make(chan struct{}, o.MaxJobs),
		busy:      map[string]string{},
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.handler = s.routes()
	return s
}

func (s *Server) logf(format string, args ...any) {
	if s.o.Logf != nil {
		s.o.Logf(format, args...)
	}
}

// Handler is the server's whole HTTP surface.
func (s *Server) Handler() http.Handler {
	s.watchStart.Do(func() { go s.hub.run(s.base, s.o.Backend.Watch(s.base)) })
	return s.handler
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.page)
	mux.Handle("GET /static/", http.StripPrefix("/static/", staticHandler()))
	mux.HandleFunc("GET /api/labs", s.labs)
	mux.HandleFunc("GET /api/labs/{lab}", s.lab)
	mux.HandleFunc("GET /api/labs/{lab}/graph", s.graph)
	mux.HandleFunc("POST /api/labs/{lab}/check", s.check)
	mux.HandleFunc("POST /api/labs/{lab}/reset", s.reset)
	mux.HandleFunc("POST /api/labs/{lab}/trace", s.trace)
	mux.HandleFunc("GET /api/labs/{lab}/terminal/{node}", s.terminal)
	mux.HandleFunc("GET /api/events", s.events)
	// Outermost first: headers on every answer, who is asking, the log
	// line, then the limits and the origin check before any route.
	return s.secure(s.authenticate(s.logRequests(noQueryToken(limit(s.sameOrigin(mux))))))
}

// allow answers the request with Decide's refusal, if any, and reports
// whether it may go on.
func (s *Server) allow(w http.ResponseWriter, r *http.Request, route Route, lab string) bool {
	switch Decide(who(r), route, lab) {
	case http.StatusOK:
		return true
	case http.StatusUnauthorized:
		httpError(w, http.StatusUnauthorized, "no valid token: open the link you were given, or send Authorization: Bearer TOKEN")
	default:
		httpError(w, http.StatusForbidden, "this token may not do that")
	}
	return false
}

// requestContext is r's context, also ended when the server shuts down
// (a test's http.Server does not derive requests from base).
func (s *Server) requestContext(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(s.base, cancel)
	return ctx, func() { stop(); cancel() }
}

// shutdownGrace is how long Serve waits, once told to stop, for
// requests to finish and terminals to close.
const shutdownGrace = time.Second

// Serve answers on ln until ctx ends (TLS when certFile and keyFile are
// set), then closes every event stream and terminal and cancels running
// jobs, and returns within about a second.
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: headerTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeader,
		BaseContext:       func(net.Listener) context.Context { return s.base },
		ErrorLog:          log.New(logWriter{s}, "", 0),
		// HTTP/1.1 only: a terminal's websocket hijacks the connection,
		// which HTTP/2 has none of to give.
		TLSConfig:    &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}},
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	errc := make(chan error, 1)
	go func() {
		if certFile != "" {
			errc <- hs.ServeTLS(ln, certFile, keyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.cancel()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if serr := hs.Shutdown(sctx); serr != nil {
		_ = hs.Close()
	}
	s.waitLive(shutdownGrace)
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close ends what the server runs (event streams, terminals, jobs) when
// it was served by another http.Server (tests).
func (s *Server) Close() {
	s.cancel()
	s.waitLive(10 * time.Second)
}

func (s *Server) waitLive(d time.Duration) {
	done := make(chan struct{})
	go func() { s.live.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		s.logf("shutdown: terminals or jobs still closing after %s", d)
	}
}

// logWriter sends net/http's own complaints (TLS handshakes, bad
// requests) to Logf.
type logWriter struct{ s *Server }

func (l logWriter) Write(p []byte) (int, error) {
	l.s.logf("%s", p)
	return len(p), nil
}
