package webterm

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed assets
var assets embed.FS

// Assets are the terminal page's files: terminal.html (opens the
// websocket at ?ws=PATH, a path on the same server), terminal.js (also
// usable on another page: ovslabTerminal(element, path)), terminal.css
// and vendor/ (xterm.js and its fit addon, as scripts/fetch-xterm.sh
// fetched them, with their licences).
func Assets() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}

// AssetHandler serves Assets; mount it with http.StripPrefix.
func AssetHandler() http.Handler {
	files := http.FileServerFS(Assets())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
