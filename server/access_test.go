package server

import (
	"net/http"
	"testing"

	"github.com/ovslab/ovslab/class"
)

// TestDecide: the whole table of who may use which route on which lab.
func TestDecide(t *testing.T) {
	useClasses(t)
	teacherTok, st := register(t, "net101", "alice", "bob")
	otherTok, _ := register(t, "net202", "carol")
	ids := map[string]*class.Identity{"nobody": nil}
	for name, tok := range map[string]string{"teacher": teacherTok, "alice": st["alice"], "other teacher": otherTok} {
		id, err := class.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = &id
	}
	labRoutes := []Route{RouteLab, RouteGraph, RouteCheck, RouteTerminal, RouteTrace}
	const (
		ok   = http.StatusOK
		no   = http.StatusForbidden
		anon = http.StatusUnauthorized
	)
	type row struct {
		who   string
		route Route
		lab   string
		want  int
	}
	var rows []row
	for _, r := range []Route{RoutePage, RouteLabs, RouteEvents} {
		rows = append(rows,
			row{"nobody", r, "", anon}, row{"teacher", r, "", ok}, row{"alice", r, "", ok}, row{"other teacher", r, "", ok},
			// These routes name no lab: a lab given is a mistake of the caller.
			row{"alice", r, "net101-alice", no})
	}
	for _, r := range labRoutes {
		rows = append(rows,
			row{"nobody", r, "net101-alice", anon},
			row{"alice", r, "net101-alice", ok},
			row{"alice", r, "net101-bob", no},
			row{"alice", r, "net202-carol", no},
			row{"alice", r, "net101-nobody", no},
			row{"alice", r, "", no},
			row{"alice", r, "net101-alice/", no},
			row{"alice", r, "NET101-ALICE", no},
			row{"teacher", r, "net101-alice", ok},
			row{"teacher", r, "net101-bob", ok},
			row{"teacher", r, "net202-carol", no},
			row{"teacher", r, "l3-vxlan", no},
			row{"other teacher", r, "net101-alice", no},
			row{"other teacher", r, "net202-carol", ok})
	}
	rows = append(rows,
		row{"nobody", RouteReset, "net101-alice", anon},
		row{"alice", RouteReset, "net101-alice", no},
		row{"alice", RouteReset, "net101-bob", no},
		row{"teacher", RouteReset, "net101-alice", ok},
		row{"teacher", RouteReset, "net202-carol", no},
		row{"other teacher", RouteReset, "net101-bob", no})
	names := map[Route]string{RoutePage: "page", RouteLabs: "labs", RouteEvents: "events", RouteLab: "lab", RouteGraph: "graph",
		RouteCheck: "check", RouteTerminal: "terminal", RouteTrace: "trace", RouteReset: "reset"}
	for _, r := range rows {
		if got := Decide(ids[r.who], r.route, r.lab); got != r.want {
			t.Errorf("%s, %s, lab %q: %d, want %d", r.who, names[r.route], r.lab, got, r.want)
		}
	}
	// An identity of no known role may do nothing.
	odd := *ids["teacher"]
	odd.Role = "admin"
	if got := Decide(&odd, RouteLabs, ""); got != no {
		t.Errorf("role admin: %d, want 403", got)
	}
}
