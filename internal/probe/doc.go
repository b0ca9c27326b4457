// Package probe sends ICMP echo requests from inside a network namespace,
// optionally with Don't Fragment set, for `ovslab check`.
//
// The raw socket is opened on a thread switched into the netns, and a
// socket stays in the netns it was made in, so the rest of the exchange
// runs on any thread. It never changes anything in the netns.
package probe
