package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Limits of one request.
const (
	maxBody       = 4 << 10 // no route reads a body larger than a small JSON object
	maxHeader     = 16 << 10
	handlerRead   = 30 * time.Second
	handlerWrite  = 2 * time.Minute // a full view reads the lab's daemons
	headerTimeout = 10 * time.Second
	idleTimeout   = 2 * time.Minute
)

// csp lets a page run only scripts and load only files from this server,
// never inline script, and never be framed. Styles may be inline:
// xterm.js styles its rows with <style> elements it makes.
const csp = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// secure sets the headers every response carries.
func (s *Server) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		// A page URL may hold a token: never let it out as a Referer.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// limit bounds the request's body and how long its handler may read and
// write; long-lived routes (events, terminals) lift the deadlines.
func limit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBody {
			httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("a request body is at most %d bytes", maxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(handlerRead))
		_ = rc.SetWriteDeadline(time.Now().Add(handlerWrite))
		next.ServeHTTP(w, r)
	})
}

// sameOrigin refuses a state-changing request another site's page made
// (Sec-Fetch-Site, else Origin against Host: net/http's
// CrossOriginProtection), and one sent with the cookie by a client that
// says neither where it comes from: only a browser sends the cookie,
// and every browser that does says.
func (s *Server) sameOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	checked := cop.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if unsafeMethod(r.Method) && carried(r) == viaCookie &&
			r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "" {
			httpError(w, http.StatusForbidden, "cross-origin request refused: no Origin")
			return
		}
		checked.ServeHTTP(w, r)
	})
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// originOK is the websocket's Origin check: a browser's page must be
// this server's own (same scheme and host); a client that sends no
// Origin is not a browser and must hold its token in a header.
func originOK(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return carried(r) == viaHeader
	}
	u, err := url.Parse(o)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && u.Host == r.Host && u.Path == "" && u.User == nil
}

// statusWriter remembers the status written, for the log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (flushes,
// deadlines, the websocket's hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs each request's method, path, status, time and who
// made it. Never the query (a page URL's token) nor a header.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.logf("%s %s %d %s %s", r.Method, r.URL.EscapedPath(), sw.status, time.Since(start).Round(time.Millisecond), describe(who(r)))
	})
}

// httpError answers an API request with {"error": msg}.
func httpError(w http.ResponseWriter, code int, msg string) {
	if code == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ovslab"`)
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
