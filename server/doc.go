// Package server is the classroom's HTTP server (`ovslab serve`): the
// teacher's board, each student's page, their terminals, and the JSON
// API and event stream behind them, for every class recorded on this
// machine.
//
// Who may do what is decided in one place, Decide: a teacher token
// reaches every copy of its class, a student token its own copy and
// nothing else (any other lab, or a teacher-only route, is 403). Tokens
// come in an Authorization header, a cookie, or once in a page URL, and
// are never logged. Every response carries security headers that keep
// the pages from being framed, sniffed or leaking a URL; state-changing
// routes are POST and refuse cross-site requests.
//
// It never brings labs up or down by itself, never grades on a timer,
// and never gives a shell outside a lab: what it serves comes through a
// Backend (Labs is the one that reads and drives this machine's labs),
// and an emulated host's shell is internal/sandbox's, reaching that
// host's OVSDB only through internal/ovsdbguard.
package server
