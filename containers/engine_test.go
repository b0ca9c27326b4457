package containers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// versionRoute answers /version as a dockerd of release version would,
// counting how often it is asked.
func versionRoute(version string, asked *atomic.Int32) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"Version":%q,"ApiVersion":"1.41"}`, version)
	}
}

// TestNoAnswerNamesDeadlock: a call a stuck dockerd does not answer is
// named as before, and when the daemon's release has the libnetwork
// deadlock the error says so and what to do; /version is asked once per
// client however many calls fail, and a daemon that does not answer it
// either still gets the generic error within the bound.
func TestNoAnswerNamesDeadlock(t *testing.T) {
	shortDeadlines(t)
	for _, tc := range []struct {
		name     string
		version  string // "": /version is not answered either
		deadlock bool
	}{
		{"debian 12", "20.10.24+dfsg1", true},
		{"fixed 20.10", "20.10.27", false},
		{"current", "28.5.2", false},
		{"version unanswered", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var asked atomic.Int32
			routes := map[string]http.HandlerFunc{}
			if tc.version != "" {
				routes["GET /version"] = versionRoute(tc.version, &asked)
			}
			host := stuckDockerd(t, routes)
			c, err := Connect(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for range 2 {
				err := within(t, func() error { return c.Remove(context.Background(), "c1") })
				wantNamed(t, err, host, "ContainerRemove")
				msg := err.Error()
				t.Log(msg)
				if got := strings.Contains(msg, DeadlockBug); got != tc.deadlock {
					t.Errorf("error names %s: %v, want %v: %s", DeadlockBug, got, tc.deadlock, msg)
				}
				for _, want := range []string{"Docker " + tc.version, "docker ps", "systemctl restart docker", DeadlockFixedIn} {
					if tc.deadlock && !strings.Contains(msg, want) {
						t.Errorf("error lacks %q: %s", want, msg)
					}
				}
				if !tc.deadlock && !strings.Contains(msg, "is it stuck?") {
					t.Errorf("error lacks the generic advice: %s", msg)
				}
			}
			if tc.version != "" {
				if n := asked.Load(); n != 1 {
					t.Errorf("/version asked %d times by two failed calls, want once per client", n)
				}
				if v := c.EngineVersion(context.Background()); v != tc.version || asked.Load() != 1 {
					t.Errorf("EngineVersion = %q after %d questions, want %q from the one already asked", v, asked.Load(), tc.version)
				}
			}
		})
	}
}

// TestEngineVersion: up's question is asked once per client, and a
// daemon that does not answer it leaves the version unknown, no error.
func TestEngineVersion(t *testing.T) {
	shortDeadlines(t)
	var asked atomic.Int32
	stuckDockerd(t, map[string]http.HandlerFunc{"GET /version": versionRoute("20.10.24+dfsg1", &asked)})
	c, err := Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 3 {
		if v := c.EngineVersion(context.Background()); v != "20.10.24+dfsg1" {
			t.Errorf("EngineVersion = %q", v)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("/version asked %d times, want 1", n)
	}

	stuckDockerd(t, nil)
	silent, err := Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	if err := within(t, func() error {
		if v := silent.EngineVersion(context.Background()); v != "" {
			return fmt.Errorf("EngineVersion of a daemon that never answers = %q, want \"\"", v)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
}
