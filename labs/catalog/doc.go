// Package catalog holds the built-in labs: each is a directory with a
// commented topology.yaml and a README.md that walks a student through it,
// embedded in the binary so that `ovslab up --emulate l3-vxlan` needs no file.
//
// The catalog only serves bytes. It never parses them (package topology
// does) and never touches the machine.
package catalog
