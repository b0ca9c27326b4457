// Package check grades a lab that is up on this machine: probes that grow
// linearly with the lab (pings, full-size Don't-Fragment packets, NAT,
// ARP isolation), the state of every tunnel port and host, and the file's
// expect: entries; on a real host also the underlay between VTEPs. Run
// returns one Report and keeps it as the lab's last check, which Overlay
// lays over the lab's picture.
//
// check sits above labs: it reads a lab through labs (Load, StatusOf) and
// sends its probes from the lab's namespaces, and it never changes the
// lab. labs never imports it.
package check
