// Package nat owns what a lab needs from the kernel's IPv4 forwarding path:
// net.ipv4.ip_forward, and the MASQUERADE and FORWARD rules that let a lab
// subnet reach addresses that have no route back to it.
//
// Everything acts on one network namespace, named by its bind-mount path
// ("" for the caller's own), so the same code serves a real host and an
// emulated host netns. Every rule it writes carries the comment
// "ovslab:<lab>" and it only ever deletes or reorders rules with that exact
// comment: Docker's rules, a user's rules and other labs' rules are never
// touched. It manages the nat and filter tables of IPv4 iptables only
// (whichever backend the `iptables` on PATH uses; ip6tables is not needed).
//
// A lab's FORWARD accepts live in a chain of its own, OVSLAB-<lab>, jumped
// to from the end of FORWARD, so the admin's policy in DOCKER-USER (and
// any rule above) applies to lab traffic first; that chain is the only one
// it creates or deletes. It never changes chain policies or knows about
// the topology file or OVS: callers hand it subnets and port names.
package nat
