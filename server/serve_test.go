package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ovslab/ovslab/class"
)

// TestServeShutdown: when its context ends, Serve closes the event
// streams and terminals it holds, and returns.
func TestServeShutdown(t *testing.T) {
	useClasses(t)
	teacher, st := register(t, "net101", "alice")
	f := newFake()
	s := New(Options{Backend: f, Logf: t.Logf})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, "", "") }()
	base := "http://" + ln.Addr().String()

	req, _ := http.NewRequest("GET", base+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+teacher)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	c, _, err := websocket.Dial(dctx, "ws://"+ln.Addr().String()+"/api/labs/net101-alice/terminal/host1",
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + st["alice"]}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	testenvEventually(t, func() bool { return s.hub.count() == 1 })

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	select {
	case n := <-f.closed:
		if n != "host1" {
			t.Errorf("closed %s", n)
		}
	default:
		t.Error("Serve returned with a terminal still open")
	}
	if _, _, err := c.Read(dctx); err == nil {
		t.Error("the terminal's socket is still open")
	}
	buf := make([]byte, 4096)
	for {
		if _, err := resp.Body.Read(buf); err != nil {
			break // the stream ended
		}
	}
	if s.hub.count() != 0 {
		t.Errorf("%d event streams left", s.hub.count())
	}
}

// TestServeTLS: over TLS the cookie is Secure and the server's own
// https page may open a terminal.
func TestServeTLS(t *testing.T) {
	useClasses(t)
	_, st := register(t, "net101", "alice")
	cert, key := selfSigned(t)
	s := New(Options{Backend: newFake(), TLS: true, Logf: t.Logf})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, cert, key) }()
	t.Cleanup(func() { cancel(); <-served })
	insecure := &tls.Config{InsecureSkipVerify: true} // the test's own certificate
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: insecure, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := "https://" + ln.Addr().String()
	resp, err := client.Get(base + "/?token=" + st["alice"])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 1 {
		t.Errorf("served over %s: a websocket needs HTTP/1.1", resp.Proto)
	}
	var secure bool
	for _, c := range resp.Cookies() {
		secure = secure || (c.Name == cookieName && c.Secure && c.HttpOnly)
	}
	if !secure {
		t.Errorf("the cookie over TLS is not Secure and HttpOnly: %v", resp.Cookies())
	}
	if r, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		r.Body.Close()
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the TLS port: %s", r.Status)
		}
	}
	wss := "wss://" + ln.Addr().String() + "/api/labs/net101-alice/terminal/doc1"
	for origin, want := range map[string]bool{base: true, "http://" + ln.Addr().String(): false} {
		dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, _, err := websocket.Dial(dctx, wss, &websocket.DialOptions{HTTPClient: client,
			HTTPHeader: http.Header{"Cookie": {cookieName + "=" + st["alice"]}, "Origin": {origin}}})
		dcancel()
		if (err == nil) != want {
			t.Errorf("a terminal from %s: %v, want open %v", origin, err, want)
		}
		if c != nil {
			c.CloseNow()
		}
	}
}

// TestRotateEndsStreams: a class whose URLs are rotated loses its open
// event streams at the next re-check.
func TestRotateEndsStreams(t *testing.T) {
	oldRe, oldFor := reverify, verifiedFor
	reverify, verifiedFor = 50*time.Millisecond, 50*time.Millisecond
	defer func() { reverify, verifiedFor = oldRe, oldFor }()
	f := newFixture(t, Options{})
	events := f.stream(f.alice)
	testenvEventually(t, func() bool { return f.srv.hub.count() == 1 })
	if err := class.Rotate("net101"); err != nil {
		t.Fatal(err)
	}
	select {
	case _, ok := <-events:
		if ok {
			t.Error("an event after the rotation")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stream of a rotated token is still open")
	}
	testenvEventually(t, func() bool {
		resp, _ := f.do("GET", "/api/labs/net101-alice", f.alice, nil, nil)
		return resp.StatusCode == http.StatusUnauthorized
	})
}

// selfSigned writes a certificate for 127.0.0.1 and its key.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ovslab test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}
