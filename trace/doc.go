// Package trace explains one path of a running lab hop by hop, as a
// network engineer would walk it: the route and neighbour entry inside
// the sender, its veth, the OVS port and its VLAN, what ofproto/trace
// says the bridge does with the frame, the tunnel's key and remote, the
// underlay route and every underlay link's MTU against the encapsulated
// size, the remote VTEP and bridge, the destination's port, veth and
// address, a gateway's forwarding, FORWARD rules and MASQUERADE, and the
// way back. It reads state and sends no traffic. The first hop that
// breaks is named with its cause and a fix in the words ovslab check uses.
//
// trace sits beside check, above labs: it reads a lab through labs
// (Load, Place, Containers), OVS through ovs (status, ofproto/trace),
// namespaces through internal/nsutil and iptables through nat. It never
// changes the lab. A host that lives on another machine is traced there
// through a PartRunner (ovslab trace --all); labs never imports trace.
package trace
