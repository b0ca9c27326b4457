package check

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/labs"
)

// KindUnderlay is the underlay between two VTEPs carrying a packet of
// underlay.mtu bytes with Don't Fragment set: what a full VXLAN frame needs.
const KindUnderlay = "underlay"

// maxHops bounds the trace that locates a hop dropping large packets.
const maxHops = 16

// Underlay sends, from this real host of lab, a Don't-Fragment packet
// of underlay.mtu bytes to every other host's underlay address. A path
// that drops it is traced hop by hop to name where it breaks, since a
// path that cannot carry VXLAN at full size passes pings and then loses
// every full-size frame.
func Underlay(ctx context.Context, lab string) ([]Result, error) {
	st, src, err := labs.Load(lab)
	if err != nil {
		return nil, err
	}
	if st.Mode != labs.ModeReal || len(st.Hosts) != 1 {
		return nil, labs.Usagef("lab %s is not a real-host lab on this machine; the underlay check runs on each real host", lab)
	}
	t := src.Topo
	self := st.Hosts[0]
	size := t.Underlay.MTU
	var peers []netip.Addr
	var names []string
	for _, h := range t.Hosts {
		if h.Name != self {
			peers, names = append(peers, h.Underlay.Addr()), append(names, h.Name)
		}
	}
	out := make([]Result, len(peers))
	var g errgroup.Group
	g.SetLimit(16)
	for i, dst := range peers {
		g.Go(func() error {
			r := Result{Kind: KindUnderlay, From: self, To: names[i]}
			rtt, err := probe.Ping(ctx, "", probe.Echo{Dst: dst, Size: size - 28, DF: true, Timeout: time.Second, Tries: 3})
			r.OK = err == nil
			if err == nil {
				r.Detail = fmt.Sprintf("%d-byte DF packet to %s, %s", size, dst, rtt.Round(10*time.Microsecond))
			} else {
				r.Detail = fmt.Sprintf("a %d-byte DF packet to %s does not arrive: %s", size, dst, diagnose(ctx, dst, size, err))
			}
			out[i] = r
			return nil
		})
	}
	_ = g.Wait()
	return out, ctx.Err()
}

// diagnose says why a size-byte DF packet to dst failed, naming the hop.
func diagnose(ctx context.Context, dst netip.Addr, size int, err error) string {
	fix := fmt.Sprintf("raise that link's MTU to at least %d on both ends, or lower underlay.mtu and the container MTU with it", size)
	var ie *probe.ICMPError
	switch {
	case errors.As(err, &ie) && ie.FragNeeded():
		return fmt.Sprintf("router %s cannot forward it (fragmentation needed, next-hop MTU %d); %s", ie.From, ie.NextMTU, fix)
	case errors.Is(err, syscall.EMSGSIZE):
		return fmt.Sprintf("this host's route to %s has an MTU below %d; raise the underlay NIC's MTU (up sets underlay.mtu on it) or the route's mtu", dst, size)
	case ie != nil:
		return ie.Error()
	}
	small := probe.Echo{Dst: dst, Size: 56, Timeout: time.Second, Tries: 2}
	if _, err := probe.Ping(ctx, "", small); err != nil {
		return fmt.Sprintf("no reply to a small ping either (%v): %s is unreachable on the underlay (routing, a firewall, or the host is down)", err, dst)
	}
	hops := trace(ctx, dst)
	prev := "this host"
	for i, hop := range hops {
		if !hop.IsValid() {
			continue
		}
		_, err := probe.Ping(ctx, "", probe.Echo{Dst: hop, Size: size - 28, DF: true, Timeout: time.Second, Tries: 2})
		if err != nil {
			return fmt.Sprintf("small packets pass, but hop %d (%s) drops %d-byte ones: the link from %s into it carries less; %s", i+1, hop, size, prev, fix)
		}
		prev = fmt.Sprintf("hop %d (%s)", i+1, hop)
	}
	return fmt.Sprintf("small packets pass and every hop before it answers %d-byte ones: the last link, from %s to %s, carries less; %s", size, prev, dst, fix)
}

// trace lists the routers between here and dst, as traceroute does: small
// probes with a growing TTL, each answered by the hop where it expires.
// A silent hop is the zero Addr; the list ends before dst.
func trace(ctx context.Context, dst netip.Addr) []netip.Addr {
	var hops []netip.Addr
	silent := 0
	for ttl := 1; ttl <= maxHops && silent < 3 && ctx.Err() == nil; ttl++ {
		_, err := probe.Ping(ctx, "", probe.Echo{Dst: dst, Size: 56, TTL: ttl, Timeout: time.Second, Tries: 1})
		var ie *probe.ICMPError
		switch {
		case err == nil:
			return hops
		case errors.As(err, &ie) && ie.Type == probe.TypeTimeExceeded:
			hops, silent = append(hops, ie.From), 0
		default:
			hops, silent = append(hops, netip.Addr{}), silent+1
		}
	}
	return hops
}
