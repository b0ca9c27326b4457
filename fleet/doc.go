// Package fleet runs one real-host lab on all its hosts from one machine,
// for `ovslab up|down|status|check --all`: it reaches every host over SSH
// (package remote), makes sure each has this ovslab, runs each host's own
// part there concurrently — the same per-host code as `ovslab up --host H`
// on that host — and merges what the hosts report.
//
// A host that fails any step is recorded with its error and left out of
// later steps; the others carry on. Up refuses before any change when one
// host's preflight fails. fleet prints nothing of its own: the caller gets
// reports, and each host's messages stream to the writer it gives.
package fleet
