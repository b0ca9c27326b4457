package trace

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/ovslab/ovslab/labs"
)

// PartRunner runs a host's part of a path where that host lives.
type PartRunner interface {
	RunPart(ctx context.Context, host string, req PartRequest) (*PartResult, error)
}

// PartRequest asks a host to walk a packet from a position on it until
// the packet leaves it. It travels as JSON (ovslab trace-part).
type PartRequest struct {
	Lab    string   `json:"lab"`
	Host   string   `json:"host"`
	Dir    string   `json:"dir"`
	At     Position `json:"at"`
	Packet Packet   `json:"packet"`
	Size   int      `json:"size"`
}

// PartResult is a host's part: its hops, and where the packet went next.
type PartResult struct {
	Hops   []Hop    `json:"hops"`
	Next   Position `json:"next"`
	Packet Packet   `json:"packet"`
}

// Position is where a packet is on its walk.
type Position struct {
	Kind     string     `json:"kind"`
	Node     string     `json:"node,omitempty"`  // posSend: the sender; posDone: the receiver
	Host     string     `json:"host,omitempty"`  // the host it is on
	Iface    string     `json:"iface,omitempty"` // posKernel: where it came in ("" = sent by the host); posPort: the OVS port it enters by
	From     netip.Addr `json:"from,omitzero"`   // posTunnel: the sending VTEP
	Key      uint32     `json:"key,omitempty"`   // posTunnel, posWire: the VXLAN key
	To       netip.Addr `json:"to,omitzero"`     // posWire: where the outer packet goes
	FromHost string     `json:"from_host,omitempty"`
	Tunnel   bool       `json:"tunnel,omitempty"` // posWire: a VXLAN packet rather than a plain one
}

// Position kinds.
const (
	posSend   = "send"   // Node sends the packet
	posKernel = "kernel" // the packet is in Host's IP stack
	posPort   = "port"   // the frame enters an OVS bridge of Host at Iface
	posTunnel = "tunnel" // the frame arrives at Host by VXLAN from From with Key
	posWire   = "wire"   // the packet leaves FromHost's NIC for To
	posUplink = "uplink" // a plain packet arrives at Host's underlay NIC
	posWAN    = "wan"    // the packet arrives at the emulated internet
	posWANOut = "wanout" // the emulated internet sends (a reply)
	posDone   = "done"   // delivered to Node
	posStop   = "stop"   // dropped, or lost from sight
)

// Packet is what travels, at L3 and, on a segment, at L2.
type Packet struct {
	Src   netip.Addr `json:"src"`
	Dst   netip.Addr `json:"dst"`
	Proto string     `json:"proto"`          // icmp, udp, tcp
	Port  int        `json:"port,omitempty"` // udp and tcp: the request's destination port
	Size  int        `json:"size"`
	Reply bool       `json:"reply,omitempty"`
	// On a segment: the frame's addresses and 802.1Q tag, and the L3
	// next hop whose station the frame is for.
	SrcMAC string     `json:"src_mac,omitempty"`
	DstMAC string     `json:"dst_mac,omitempty"`
	VLAN   int        `json:"vlan,omitempty"`
	NH     netip.Addr `json:"nh,omitzero"`
	// Ingress is the OVS port the frame entered the segment by, as
	// HOST/PORT: where its VLAN tag comes from.
	Ingress string `json:"ingress,omitempty"`
	// NAT is the MASQUERADE the request met, which its reply undoes.
	NAT *NATRecord `json:"nat,omitempty"`
}

// NATRecord is one MASQUERADE: at Host, source Orig became To.
type NATRecord struct {
	Host string     `json:"host"`
	Orig netip.Addr `json:"orig"`
	To   netip.Addr `json:"to"`
}

// RunPart is the part of a path on host, for a machine that traces a
// path through it (ovslab trace --all): the request's walk from its
// position until the packet leaves the host.
func RunPart(ctx context.Context, req PartRequest, o Options) (*PartResult, error) {
	st, src, err := labs.Load(req.Lab)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(st.Hosts, req.Host) {
		return nil, fmt.Errorf("lab %s: host %s is not on this machine (it holds %v)", req.Lab, req.Host, st.Hosts)
	}
	o.Size = req.Size
	w := newWalker(ctx, st, src, o)
	defer w.close()
	w.dir = req.Dir
	next, pkt := w.part(req.At, req.Packet)
	return &PartResult{Hops: w.hops, Next: next, Packet: pkt}, nil
}
