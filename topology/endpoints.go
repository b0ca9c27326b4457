package topology

import "net/netip"

// Endpoints resolves a path named on the command line (ovslab trace LAB
// FROM TO) exactly as an expect: entry's from and to are resolved: from a
// container or a host with a host port; to a container, NODE.NETWORK, a
// host with a host port, an IPv4 address or wan. The Expectation returned
// is a reach: true entry with From, FromHost, To, Dst and WAN set. An
// error names the argument ("from: ...", "to: ...") and what it may be.
func (t *Topology) Endpoints(from, to string) (Expectation, error) {
	p := &parser{pos: map[string]position{}, short: map[string]bool{}, bad: map[string]bool{}}
	e := Expectation{From: from, To: to, Kind: ExpectReach, Reach: true}
	if looksLikeAddr(to) {
		a, err := netip.ParseAddr(to)
		if err != nil || !a.Is4() {
			return e, &Error{Field: "to", Msg: to + " is not an IPv4 address"}
		}
		e.Dst = a
	}
	nodes := expectNodes(t)
	n := p.expectFrom(t, nodes, &e, "from")
	p.expectTo(t, nodes, &e, n, "to")
	if len(p.errs) > 0 {
		return e, p.errs[0]
	}
	return e, nil
}
