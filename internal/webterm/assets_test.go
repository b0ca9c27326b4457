package webterm

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestVendorChecksums checks the embedded xterm.js files are the ones
// scripts/fetch-xterm.sh fetched, verified and recorded.
func TestVendorChecksums(t *testing.T) {
	sums, err := fs.ReadFile(Assets(), "vendor/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) < 5 {
		t.Fatalf("SHA256SUMS lists %d files, want xterm.js, xterm.css, addon-fit.js and two licences", len(lines))
	}
	for _, l := range lines {
		want, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", l)
		}
		b, err := fs.ReadFile(Assets(), "vendor/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != want {
			t.Errorf("vendor/%s changed since scripts/fetch-xterm.sh fetched it", name)
		}
	}
}

func TestAssetHandler(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/static/", AssetHandler()))
	t.Cleanup(srv.Close)
	cases := []struct{ path, ctype, body string }{
		{"/static/terminal.html", "text/html; charset=utf-8", `<script src="vendor/xterm.js">`},
		{"/static/terminal.js", "text/javascript; charset=utf-8", "window.ovslabTerminal = open"},
		{"/static/vendor/xterm.js", "text/javascript; charset=utf-8", "Terminal"},
		{"/static/vendor/addon-fit.js", "text/javascript; charset=utf-8", "FitAddon"},
		{"/static/vendor/xterm.css", "text/css; charset=utf-8", ".xterm"},
	}
	for _, tc := range cases {
		resp, err := http.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != tc.ctype ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(string(b), tc.body) {
			t.Errorf("GET %s: %d %q nosniff=%q, body has %q: %v", tc.path, resp.StatusCode,
				resp.Header.Get("Content-Type"), resp.Header.Get("X-Content-Type-Options"), tc.body, strings.Contains(string(b), tc.body))
		}
	}
}
