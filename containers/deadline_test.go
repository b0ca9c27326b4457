package containers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// shortDeadlines makes calls to dockerd give up quickly for one test.
func shortDeadlines(t *testing.T) {
	oldConnect, oldCall, oldStream, oldVersion := connectTimeout, callTimeout, streamTimeout, versionTimeout
	connectTimeout, callTimeout, streamTimeout, versionTimeout = time.Second, time.Second, 2*time.Second, time.Second
	t.Cleanup(func() {
		connectTimeout, callTimeout, streamTimeout, versionTimeout = oldConnect, oldCall, oldStream, oldVersion
	})
}

// stuckDockerd serves a unix socket as a dockerd that answers the ping and
// a few routes, and never answers anything else (as Docker 20.10 does
// once deadlocked): the request waits until the client gives up.
// DOCKER_HOST points at it for the test.
func stuckDockerd(t *testing.T, routes map[string]http.HandlerFunc) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := r.URL.Path
		if i := strings.Index(path[1:], "/"); strings.HasPrefix(path, "/v1.") && i > 0 {
			path = path[i+1:] // the API version
		}
		if path == "/_ping" {
			w.Header().Set("API-Version", "1.41")
			w.WriteHeader(http.StatusOK)
			return
		}
		if h := routes[r.Method+" "+path]; h != nil {
			h(w, r)
			return
		}
		<-r.Context().Done()
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	host := "unix://" + sock
	t.Setenv("DOCKER_HOST", host)
	return host
}

// answeredThenSilent writes the status line and headers at once, then
// never the body.
func answeredThenSilent(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

// within runs fn, failing the test if it has not returned well after the
// deadlines it should keep.
func within(t *testing.T, fn func() error) error {
	t.Helper()
	return testenv.Returns(t, streamTimeout+10*time.Second, "still waiting for dockerd long after every deadline: the call hangs", fn)
}

func wantNamed(t *testing.T, err error, host, call string) {
	t.Helper()
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("got %v, want ErrNoAnswer", err)
	}
	for _, want := range []string{"dockerd at " + host, "did not answer " + call, "DOCKER_HOST"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// TestConnectNoAnswer: DOCKER_HOST naming a socket that accepts and never
// answers is an error naming dockerd and the socket, within the bound.
func TestConnectNoAnswer(t *testing.T) {
	shortDeadlines(t)
	host := "unix://" + testenv.SilentSocket(t, "docker.sock")
	t.Setenv("DOCKER_HOST", host)
	wantNamed(t, within(t, func() error { _, err := Connect(context.Background()); return err }), host, "Ping")
}

// TestCallsNoAnswer: a dockerd that answered the ping and then stops
// answering is named, with the call, by every kind of call ovslab makes,
// for a caller whose context has no deadline.
func TestCallsNoAnswer(t *testing.T) {
	shortDeadlines(t)
	buildDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(buildDir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notFound := func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"message":"no such image"}`, http.StatusNotFound)
	}
	listed := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`[{"Id":"c1","Names":["/doc1"],"Labels":{}}]`))
	}
	for _, tc := range []struct {
		name   string
		routes map[string]http.HandlerFunc
		call   string
		run    func(context.Context, *Client) error
	}{
		{"list", nil, "ContainerList", func(ctx context.Context, c *Client) error {
			_, err := c.List(ctx, map[string]string{"ovslab.lab": "x"})
			return err
		}},
		{"ensure", nil, "ImageInspect", func(ctx context.Context, c *Client) error {
			_, _, err := c.Ensure(ctx, Spec{Name: "doc1", Image: "img", Labels: map[string]string{"ovslab.lab": "x"}}, "ovslab.lab")
			return err
		}},
		{"remove", nil, "ContainerRemove", func(ctx context.Context, c *Client) error {
			return c.Remove(ctx, "c1")
		}},
		{"build never answered", map[string]http.HandlerFunc{"GET /images/img/json": notFound}, "ImageBuild", func(ctx context.Context, c *Client) error {
			return c.EnsureImage(ctx, "img", buildDir)
		}},
		{"build answered, then silent", map[string]http.HandlerFunc{"GET /images/img/json": notFound, "POST /build": answeredThenSilent}, "the rest of ImageBuild", func(ctx context.Context, c *Client) error {
			return c.EnsureImage(ctx, "img", buildDir)
		}},
		{"exec attach", map[string]http.HandlerFunc{
			"GET /containers/json": listed,
			"POST /containers/c1/exec": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"Id":"e1"}`))
			},
		}, "ContainerExecAttach", func(ctx context.Context, c *Client) error {
			_, err := c.Exec(ctx, "doc1", []string{"true"}, nil, nil, nil)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := stuckDockerd(t, tc.routes)
			c, err := Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			wantNamed(t, within(t, func() error { return tc.run(context.Background(), c) }), host, tc.call)
		})
	}
}
