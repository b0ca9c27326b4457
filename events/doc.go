// Package events owns the lifecycle events of labs as lines of JSON: the
// Event type and its kinds (docs/events.md is the schema), an append-only
// log file per lab that several processes write at once (Append, capped
// and rotated), and reading such logs as they grow (Follower, Last).
//
// It knows nothing of labs, Docker or OVS: callers give it file paths.
// Writing an event never follows a symlink and makes files only root can
// read; a reader never trusts a line beyond its own length limit.
package events
