// Package nsutil runs code inside a network namespace.
//
// ethtool ioctls, sysctl writes under /proc/sys/net and the iptables binary
// all act on the netns of the calling thread, so they need a locked OS
// thread switched into the target netns. It never creates or deletes
// namespaces itself beyond what its callers ask for.
package nsutil
