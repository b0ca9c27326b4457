// Package ovsdbguard stands between a student's OVS tools and an
// emulated host's ovsdb-server: a socket that relays OVSDB's JSON-RPC
// and refuses what would let the student reach outside their lab.
//
// ovs-vswitchd runs as root in the machine's own mount namespace and acts
// on what the database says. Some of it names files: the SSL table's
// private_key, certificate and ca_cert (with bootstrap_ca_cert, vswitchd
// writes the CA a peer presents to ca_cert, wherever that is), and a
// Controller's punix: or unix: target (vswitchd binds or connects a
// socket at that path, removing what was there). A student who may
// write the database could make root read or write files anywhere. The
// guard passes every read, and every write to the tables a lab is made
// of, and refuses (Check):
//
//   - any write to the SSL and Manager tables, and to the Open_vSwitch
//     root row's columns other than bridges, next_cfg and external_ids
//     (ssl, manager_options, other_config, ...), or its removal;
//   - a Controller target that is a unix socket (punix:, unix:);
//   - an Interface type outside the kinds a lab uses (system, internal,
//     tap, patch and the tunnels): no dpdk or dummy ports, whose options
//     name files;
//   - tables it does not know, databases other than Open_vSwitch, and
//     the methods that are not a client's ordinary business (lock, steal,
//     unlock: vswitchd's own lock; convert: a new schema).
//
// What passes is re-encoded from what was checked, never the bytes the
// client sent, so the server cannot read a message differently from the
// guard (duplicate keys, odd escapes). A refused request gets a JSON-RPC
// error naming the rule; the connection stays open.
//
// It never decides who may connect (the socket's owner and mode do), and
// never changes the database itself.
package ovsdbguard
