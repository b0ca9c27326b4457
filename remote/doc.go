// Package remote drives other machines over SSH for `ovslab ... --all`:
// it dials a host with the user's keys (ssh-agent, else ~/.ssh/id_*),
// verifies the host's key against ~/.ssh/known_hosts, copies this very
// ovslab binary to a host that lacks it, and runs commands there with
// their output streamed back line by line.
//
// A command may run for minutes, but the host must answer an SSH keepalive
// within Config.Timeout at any time; one that does not is named in the
// error of every command on that connection (ErrNoAnswer).
//
// remote knows nothing of topologies, OVS or Docker: it moves bytes and
// exit codes. What runs on each host is the host's own `ovslab` (the same
// binary), so every change on a host is made by the same per-host code as
// a local `ovslab up --host H`. It never shells out to ssh or scp.
package remote
