package server

import (
	"testing"
	"time"

	"github.com/ovslab/ovslab/events"
)

// TestEventsFiltered: each stream carries the events of the labs its
// token may see, and nothing else.
func TestEventsFiltered(t *testing.T) {
	f := newFixture(t, Options{})
	alice, teacher, other := f.stream(f.alice), f.stream(f.teacher), f.stream(f.other)
	testenvEventually(t, func() bool { return f.srv.hub.count() == 3 })
	for _, lab := range []string{"net101-bob", "net202-carol", "net101-alice"} {
		f.fake.events <- events.Event{Time: time.Now(), Lab: lab, Type: events.CheckDone}
	}
	want := func(name string, ch <-chan events.Event, labs ...string) {
		t.Helper()
		for _, l := range labs {
			select {
			case e := <-ch:
				if e.Lab != l {
					t.Errorf("%s got an event of %s, want %s", name, e.Lab, l)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no event of %s", name, l)
			}
		}
	}
	want("alice", alice, "net101-alice")
	want("the teacher", teacher, "net101-bob", "net101-alice")
	want("net202's teacher", other, "net202-carol")
	// Nothing more came: a last event for everyone arrives after any
	// other would have.
	for _, lab := range []string{"net101-alice", "net202-carol"} {
		f.fake.events <- events.Event{Time: time.Now(), Lab: lab, Type: events.UpDone}
	}
	want("alice", alice, "net101-alice")
	want("the teacher", teacher, "net101-alice")
	want("net202's teacher", other, "net202-carol")
}
