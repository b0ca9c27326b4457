// Package ovs owns everything ovslab does to Open vSwitch: it converges a
// lab's bridges, ports and interfaces in OVSDB through libovsdb (never by
// shelling out to ovs-vsctl), reports their state as vswitchd sees it, and
// runs the per-host ovsdb-server/ovs-vswitchd pair of an emulated host.
//
// Every row it creates carries external_ids:ovslab-lab=<lab>; it only ever
// changes or deletes rows carrying that mark, and treats an unmarked row in
// its way as an error (ErrNotOwned) rather than taking it over.
//
// It knows nothing about the topology file: callers hand it plain Bridge and
// Port values. It never touches addresses, routes or containers; the kernel
// side of an internal port is the caller's job once WaitInterface returns.
package ovs
