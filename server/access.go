package server

import (
	"net/http"

	"github.com/ovslab/ovslab/class"
)

// Route is what a request asks for, as Decide sees it.
type Route int

// Routes. Those marked "of a lab" carry the lab's name.
const (
	RoutePage     Route = iota // GET /: the board or the student's page
	RouteLabs                  // GET /api/labs
	RouteEvents                // GET /api/events
	RouteLab                   // GET /api/labs/{lab}, of a lab
	RouteGraph                 // GET /api/labs/{lab}/graph, of a lab
	RouteCheck                 // POST /api/labs/{lab}/check, of a lab
	RouteTerminal              // GET /api/labs/{lab}/terminal/{node}, of a lab
	RouteTrace                 // POST /api/labs/{lab}/trace, of a lab
	RouteReset                 // POST /api/labs/{lab}/reset, of a lab, teacher only
)

// ofLab reports whether r acts on one lab.
func (r Route) ofLab() bool { return r >= RouteLab }

// teacherOnly reports whether only a teacher may use r.
func (r Route) teacherOnly() bool { return r == RouteReset }

// Decide says whether id may use route (on lab, for the routes of a
// lab), as an HTTP status: 200 allowed, 401 no one is signed in (id is
// nil), 403 id may not. It is the one place that decides: a lab is
// reached only when id's token stands for it (its student's own copy,
// or a copy of the teacher's class), and a teacher-only route only by a
// teacher. A lab that does not exist is 403 like one that is not id's,
// so a token learns nothing of other labs.
func Decide(id *class.Identity, route Route, lab string) int {
	switch {
	case id == nil:
		return http.StatusUnauthorized
	case id.Role != class.RoleTeacher && id.Role != class.RoleStudent:
		return http.StatusForbidden
	case route.teacherOnly() && id.Role != class.RoleTeacher:
		return http.StatusForbidden
	case route.ofLab() && !id.May(lab):
		return http.StatusForbidden
	case !route.ofLab() && lab != "":
		return http.StatusForbidden
	}
	return http.StatusOK
}
