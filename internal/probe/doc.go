// Package probe sends ICMP echo requests from inside a network namespace,
// optionally with Don't Fragment set, for `ovslab check`.
//
// The raw socket is opened on a thread switched into the netns, and a
// socket stays in the netns it was made in, so the rest of the exchange
// runs on any thread. It never changes anything in the netns. Sweep sends
// many echoes from one netns through one socket, a window of them in
// flight: a raw socket reads every ICMP packet of its netns, so a socket
// per echo would have each in-flight probe read every other's reply.
package probe
