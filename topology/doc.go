// Package topology owns the lab file: it turns YAML into a validated model
// (Parse, Load) and the model into what one host must hold (Topology.Plan).
//
// Everything here is pure. The package never changes the machine: it knows
// nothing of OVS, Docker, netlink or iptables, and its only I/O is reading the
// topology file and checking that build directories exist. Every problem in a
// file is reported at once, each with its file, line, column and field, so
// that a user fixes the file in one pass before anything on a host changes.
package topology
