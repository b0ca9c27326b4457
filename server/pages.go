package server

import (
	"embed"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/ovslab/ovslab/class"
	"github.com/ovslab/ovslab/internal/webterm"
)

//go:embed assets/*.html assets/static
var assets embed.FS

// pages are the HTML pages; their scripts and styles are files under
// /static/, never inline.
var pages = template.Must(template.ParseFS(assets, "assets/*.html"))

// pageData is what a page template reads.
type pageData struct {
	Class, Student, Lab string
	Title, Message      string
}

// page answers GET /: the board for a teacher, the student's own page
// for a student; with ?token=, the sign-in (tokenPage).
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("token") {
		s.tokenPage(w, r)
		return
	}
	id := who(r)
	if id == nil {
		pageError(w, http.StatusUnauthorized, "Open the link your teacher gave you.")
		return
	}
	name := "student.html"
	if id.Role == class.RoleTeacher {
		name = "board.html"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pages.ExecuteTemplate(w, name, pageData{Class: id.Class, Student: id.Student, Lab: id.Lab})
}

// pageError answers a page request with a short page saying why.
func pageError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_ = pages.ExecuteTemplate(w, "error.html", pageData{Title: http.StatusText(code), Message: msg})
}

// staticHandler serves the pages' scripts and styles, and under term/
// the terminal's (xterm.js, as internal/webterm pins it). No directory
// is listed.
func staticHandler() http.Handler {
	sub, err := fs.Sub(assets, "assets/static")
	if err != nil {
		panic(err) // fixed at build time
	}
	files := http.FileServerFS(sub)
	term := http.StripPrefix("term/", webterm.AssetHandler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/"):
			http.NotFound(w, r)
		case strings.HasPrefix(r.URL.Path, "term/"):
			term.ServeHTTP(w, r)
		default:
			w.Header().Set("Cache-Control", "no-cache")
			files.ServeHTTP(w, r)
		}
	})
}
