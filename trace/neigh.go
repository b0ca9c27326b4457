package trace

import (
	"fmt"
	"net/netip"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// neighbour reads the sender's neighbour entry for the next hop nh on
// dev and returns the MAC the frame goes to: the entry's, else the one
// nh's station has, else broadcast (ARP asks everyone first).
func (w *walker) neighbour(ns *nsutil.NS, node, dev string, nh netip.Addr) (string, bool) {
	hop := Hop{Node: node, Kind: KindNeigh, Object: nh.String() + " dev " + dev}
	target := w.stationOf(nh)
	if target == nil {
		w.broken(hop, fmt.Sprintf("nothing in the lab holds %s: ARP for it goes unanswered", nh), nil)
		return "", false
	}
	want := w.stationMAC(target)
	nb, ok, err := ns.NeighbourOf(dev, nh)
	switch {
	case err != nil:
		hop.Status, hop.Fact = StatusWarn, err.Error()
	case !ok:
		hop.Fact = fmt.Sprintf("no entry yet: ARP asks for %s (%s) first", nh, target.what())
	case nb.MAC == nil:
		hop.Status, hop.Fact = StatusWarn, fmt.Sprintf("%s: no answer to ARP for %s lately", nb.State, nh)
		hop.Cause = "ARP went unanswered before; the hops below say where the path breaks, if it still does"
	case want != "" && nb.MAC.String() != want:
		cause := fmt.Sprintf("%s holds MAC %s for %s, but %s has %s", node, nb.MAC, nh, target.what(), want)
		fix := &Fix{Text: "drop the wrong entry; ARP then learns the right one", On: node, Commands: []string{fmt.Sprintf("ip neigh del %s dev %s", nh, dev)}}
		if nb.State == "PERMANENT" || nb.State == "NOARP" {
			w.broken(hop, cause+": a static entry, never asked again", fix)
			return "", false
		}
		// A learned entry is asked again once stale: packets are lost
		// until then, not for good.
		hop.Status, hop.Fact, hop.Cause, hop.Fix = StatusWarn, fmt.Sprintf("%s is %s (%s)", nh, nb.MAC, nb.State), cause+": packets go astray until ARP asks again", fix
	default:
		hop.Fact = fmt.Sprintf("%s is %s (%s), %s", nh, nb.MAC, nb.State, target.what())
		return nb.MAC.String(), w.addOK(hop)
	}
	w.add(hop)
	if want == "" {
		want = "ff:ff:ff:ff:ff:ff"
	}
	return want, true
}

func (w *walker) addOK(h Hop) bool { w.add(h); return true }

// stationMAC is the MAC a station has: the file's for a container, the
// internal port's own (read on its host, if that is here) otherwise.
func (w *walker) stationMAC(s *station) string {
	if s.mac != nil {
		return s.mac.String()
	}
	if !w.here(s.host) {
		return ""
	}
	v := w.host(s.host)
	if v.err != nil {
		return ""
	}
	if m := v.mac(s.port); m != nil {
		return m.String()
	}
	return ""
}
