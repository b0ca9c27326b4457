package trace

import "fmt"

// Result is one traced path: `ovslab trace -o json` prints it, and its
// fields are documented in docs/trace.md, which a test holds to them.
type Result struct {
	Lab   string `json:"lab"`
	From  string `json:"from"`  // as given: a container or a host with a host port
	To    string `json:"to"`    // as given: a node, NODE.NETWORK, an address or wan
	Src   string `json:"src"`   // the sender's address
	Dst   string `json:"dst"`   // the address the packet is for
	Proto string `json:"proto"` // icmp, udp:PORT or tcp:PORT
	Size  int    `json:"size"`  // the IP packet's size in bytes, Don't Fragment set
	// Verdict is VerdictDelivered, VerdictBroken or VerdictUnseen.
	Verdict string `json:"verdict"`
	// Broken is the index in Hops of the first broken hop, -1 if none.
	Broken int   `json:"broken"`
	Hops   []Hop `json:"hops"` // the way out, then the way back
}

// Verdicts.
const (
	VerdictDelivered = "delivered" // every hop out and back passes
	VerdictBroken    = "broken"    // Hops[Broken] drops the packet
	VerdictUnseen    = "unseen"    // no hop breaks, but part of the path lives where this machine cannot read it
)

// Hop is one object on the path and the fact about it that decides
// whether the packet passes.
type Hop struct {
	Dir    string `json:"dir"`             // DirOut (towards To) or DirBack (the reply)
	Node   string `json:"node"`            // where it is: a container, a host, router or wan
	Kind   string `json:"kind"`            // what it is: one of the Kind constants
	Object string `json:"object"`          // its name there: eth0, vdoc1, br1/vdoc1, vx5000-host2, ...
	Fact   string `json:"fact"`            // what it holds or does, in words
	Status string `json:"status"`          // StatusOK, StatusWarn, StatusBroken or StatusUnseen
	Cause  string `json:"cause,omitempty"` // broken or warn: why, in words
	Fix    *Fix   `json:"fix,omitempty"`   // broken: what makes it pass
}

// Directions.
const (
	DirOut  = "out"
	DirBack = "back"
)

// Hop states.
const (
	StatusOK     = "ok"
	StatusWarn   = "warn"   // passes, but worth a look (a FAILED neighbour entry, an unplanned qdisc)
	StatusBroken = "broken" // drops the packet
	StatusUnseen = "unseen" // on a machine this one cannot read
)

// Hop kinds.
const (
	KindIface   = "iface"     // a container's interface, or a host port's
	KindAddress = "address"   // the address an interface holds
	KindRoute   = "route"     // the route a node picks
	KindNeigh   = "neigh"     // the next hop's neighbour entry
	KindVeth    = "veth"      // the host end of a container's veth
	KindPort    = "port"      // an OVS port: bridge, tag, trunks
	KindFlow    = "flow"      // what ofproto/trace says the bridge does
	KindTunnel  = "tunnel"    // a VXLAN port: key, remote_ip
	KindLink    = "link"      // an underlay or WAN link and its MTU
	KindForward = "forward"   // a router or gateway host forwarding (ip_forward)
	KindFilter  = "filter"    // iptables filter rules the packet meets
	KindNAT     = "nat"       // MASQUERADE on the way out, its reversal on the way back
	KindDeliver = "deliver"   // the packet reaches the node holding its address
	KindUnseen  = "elsewhere" // a part of the path on another machine
)

// Fix is what makes a broken hop pass, as a student would do it by hand.
type Fix struct {
	Text string `json:"text"` // what to do, in words
	// On is the node whose shell runs Commands (ovslab exec LAB On -- sh
	// -c COMMAND); "" when the fix is in the topology file.
	On       string   `json:"on,omitempty"`
	Commands []string `json:"commands,omitempty"`
	// Docker is the Docker container's name when On is a container,
	// whose shell lacks CAP_NET_ADMIN: run the commands in its netns from
	// the machine (nsenter -t PID -n).
	Docker string `json:"docker,omitempty"`
}

// First is the first broken hop, nil if none.
func (r *Result) First() *Hop {
	if r.Broken < 0 || r.Broken >= len(r.Hops) {
		return nil
	}
	return &r.Hops[r.Broken]
}

// finish sets the verdict from the hops.
func (r *Result) finish() {
	r.Broken, r.Verdict = -1, VerdictDelivered
	for i, h := range r.Hops {
		switch {
		case h.Status == StatusBroken:
			r.Broken, r.Verdict = i, VerdictBroken
			return
		case h.Status == StatusUnseen:
			r.Verdict = VerdictUnseen
		}
	}
}

// Summary is the verdict in one line: where and why it breaks.
func (r *Result) Summary() string {
	switch h := r.First(); {
	case h != nil:
		return fmt.Sprintf("broken at hop %d (%s %s %s): %s", r.Broken+1, h.Node, h.Kind, h.Object, h.Cause)
	case r.Verdict == VerdictUnseen:
		return "no hop breaks on what this machine can read; parts of the path live on other hosts (ovslab trace --all)"
	}
	return fmt.Sprintf("delivered: a %d-byte %s packet from %s reaches %s and its reply comes back", r.Size, r.Proto, r.Src, r.Dst)
}
