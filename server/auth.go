package server

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/ovslab/ovslab/class"
)

// cookieName is the cookie a page URL's token is moved to: HttpOnly (no
// script reads it), SameSite=Strict (no other site's page sends it),
// Secure under TLS.
const cookieName = "ovslab_token"

// How a request carried its token.
type via int

const (
	viaNone   via = iota
	viaHeader     // Authorization: Bearer
	viaCookie
)

type identityKey struct{}

// who is the request's identity, set by authenticate; nil if it carried
// no token that stands for anyone.
func who(r *http.Request) *class.Identity {
	id, _ := r.Context().Value(identityKey{}).(*class.Identity)
	return id
}

// carried is how the request's identity came, set by authenticate.
func carried(r *http.Request) via {
	v, _ := r.Context().Value(viaKey{}).(via)
	return v
}

type viaKey struct{}

// bearer returns the token of an "Authorization: Bearer TOKEN" header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// authenticate verifies the request's token, from its Authorization
// header or else its cookie, and puts who it stands for in the context.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, how := "", viaNone
		if t, ok := bearer(r); ok {
			tok, how = t, viaHeader
		} else if c, err := r.Cookie(cookieName); err == nil {
			tok, how = c.Value, viaCookie
		}
		ctx := r.Context()
		if tok != "" {
			id, err := s.verifier.check(r, tok)
			if errors.Is(err, errTooManyBad) {
				w.Header().Set("Retry-After", "10")
				httpError(w, http.StatusTooManyRequests, err.Error())
				return
			}
			if err == nil {
				ctx = context.WithValue(ctx, identityKey{}, &id)
				ctx = context.WithValue(ctx, viaKey{}, how)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// noQueryToken refuses a token in the query everywhere but the page
// (GET /), which moves it to the cookie (tokenPage): a URL lands in
// histories and logs.
func noQueryToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("token") && (r.Method != http.MethodGet || r.URL.Path != "/") {
			httpError(w, http.StatusBadRequest, "a token goes in an Authorization: Bearer header, never in the URL of "+r.URL.EscapedPath())
			return
		}
		next.ServeHTTP(w, r)
	})
}

// tokenPage answers GET /?token=TOKEN: a valid token becomes the cookie,
// and the page sends the browser on to / without it. It is a page of
// our own that moves on (a meta refresh), not a 303: a student arrives
// from a link on another site, and a browser keeps SameSite=Strict
// cookies off every request of a redirect chain another site started.
func (s *Server) tokenPage(w http.ResponseWriter, r *http.Request) {
	id, err := s.verifier.check(r, r.URL.Query().Get("token"))
	if errors.Is(err, errTooManyBad) {
		pageError(w, http.StatusTooManyRequests, "Too many wrong links from this address: wait a minute.")
		return
	}
	if err != nil {
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
			Secure: s.o.TLS, SameSite: http.SameSiteStrictMode})
		pageError(w, http.StatusUnauthorized, "This link is not valid (any more). Ask your teacher for a new one.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: r.URL.Query().Get("token"), Path: "/", HttpOnly: true,
		Secure: s.o.TLS, SameSite: http.SameSiteStrictMode, MaxAge: cookieAge})
	s.logf("signed in: %s", describe(&id))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = pages.ExecuteTemplate(w, "signin.html", nil)
}

// cookieAge keeps a student signed in for a term; Rotate ends it sooner.
const cookieAge = 120 * 24 * 3600

// describe names an identity for a log line: never its token.
func describe(id *class.Identity) string {
	if id == nil {
		return "-"
	}
	if id.Role == class.RoleTeacher {
		return "teacher of " + id.Class
	}
	return "student " + id.Student + " of " + id.Class
}
