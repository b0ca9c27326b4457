// Package capture records the frames of one network interface, in any
// network namespace, as a pcap stream that tcpdump and Wireshark read.
//
// It opens an AF_PACKET socket from a thread inside the namespace (the
// socket stays bound to that namespace's interface afterwards), so the
// machine needs no libpcap and the namespace no tools. It knows nothing of
// labs: callers name the namespace and the interface.
package capture
