// Package topology owns the lab file: it turns YAML into a validated model
// (Parse, Load) and the model into what one host must hold (Topology.Plan).
//
// Parse and Plan are pure. The package never changes the machine: it knows
// nothing of OVS, Docker, netlink or iptables, and its only I/O is in Load
// (reading the file) and CheckBuildDirs (do the build directories exist?),
// so a lab re-read from its recorded state parses whatever the disk holds. Every problem in a
// file is reported at once, each with its file, line, column and field, so
// that a user fixes the file in one pass before anything on a host changes.
package topology
