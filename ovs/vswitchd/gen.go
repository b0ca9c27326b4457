// Package vswitchd is the libovsdb model of the Open_vSwitch database,
// generated from the OVS 3.1 schema (8.3.1) that ships with the oldest OVS
// ovslab supports. Regenerate with `go generate ./ovs/vswitchd` after
// replacing vswitch.ovsschema; never edit the generated files by hand.
package vswitchd

//go:generate go run github.com/ovn-org/libovsdb/cmd/modelgen -p vswitchd -o . vswitch.ovsschema
