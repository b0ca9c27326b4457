// Package nsutil runs code inside a network namespace.
//
// ethtool ioctls, sysctl writes under /proc/sys/net and the iptables binary
// all act on the netns of the calling thread, so they need a locked OS
// thread switched into the target netns. It also creates and deletes named
// namespaces, opens netlink handles in them and makes veth pairs across
// them, but only when asked: it decides nothing about what a lab needs.
package nsutil
