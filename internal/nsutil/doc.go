// Package nsutil runs code inside a network namespace.
//
// ethtool ioctls, sysctl writes under /proc/sys/net and the iptables binary
// all act on the netns of the calling thread, so they need a locked OS
// thread switched into the target netns. It also creates and deletes named
// namespaces, and an open one (NS) does there what `ip` does, one object
// per file: links (link.go), addresses (addr.go), routes, neighbours, veth
// pairs across namespaces, each method naming its `ip` equivalent. It does
// these only when asked: it decides nothing about what a lab needs.
package nsutil
