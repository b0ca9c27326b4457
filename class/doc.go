// Package class owns a classroom on one machine: the class file (Load),
// a copy of one lab per student brought up, checked and taken down
// together (Up, Status, Check, Down, all bounded, the copies sharing one
// pool of container work), whether the machine can hold them (Fit), the
// classes recorded on this machine (List, Get, Forget), the students' and
// teacher's tokens and URLs (URLs, Verify, Rotate), and the class's events
// (Watch).
//
// A copy is an ordinary lab named CLASS-STUDENT: labs brings it up and
// down, check grades it. class never touches OVS, Docker or a namespace
// itself; it never serves HTTP (the server, above it, does). What it
// records lives where only root can read it (Root), written without
// following a symlink.
package class
