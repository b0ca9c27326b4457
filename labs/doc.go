// Package labs owns one lab's lifecycle: resolve the file, plan each host,
// apply a host's plan (the same code in real and emulated mode), record
// state under /run/ovslab/<lab>/, and tear it all down again.
//
// Emulation adds only the fabricated underlay (a netns per host, a router
// and an emulated WAN) and one pair of OVS daemons per host. labs is the
// only package that knows the topology as well as OVS, Docker and iptables;
// it never parses YAML itself (topology does), never grades a lab (package
// check, above it, does) and never shells out to ovs-vsctl, ip, docker or
// iptables.
package labs
