package labs

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// resolveTimeout bounds how long a host waits for its underlay next hops to
// answer ARP: several of the kernel's one-second retries.
const resolveTimeout = 5 * time.Second

// nextHops returns, once each, the underlay next hop towards every VTEP
// the host tunnels to: the VTEP itself when it shares the host's underlay
// subnet, else the host's gateway.
func nextHops(p *topology.HostPlan) []netip.Addr {
	var out []netip.Addr
	for _, b := range p.Bridges {
		for _, t := range b.Tunnels {
			nh := p.Gateway
			if p.Underlay.Contains(t.RemoteIP) {
				nh = t.RemoteIP
			}
			if !slices.Contains(out, nh) {
				out = append(out, nh)
			}
		}
	}
	slices.SortFunc(out, func(a, b netip.Addr) int { return a.Compare(b) })
	return out
}

// warmUnderlay makes the host's first tunnelled packet leave at once. OVS
// userspace tunnelling (netdev) resolves a tunnel's next hop from its own
// neighbour cache, which it fills only by snooping ARP replies on br-phy;
// until then it drops the encapsulated packet and ARPs. Right after up the
// cache is empty, so the first packet across each tunnel was lost. Here
// the kernel resolves each next hop (an echo makes it ARP), and OVS is
// given what the kernel learned if it has not snooped it itself. The
// kernel datapath queues packets while the kernel ARPs, so there the echo
// only proves the path.
//
// strict makes an unresolvable next hop an error: on an emulated lab every
// VTEP is ours and must answer. On a real host a peer may not be up yet,
// so it is only reported.
func warmUnderlay(ctx context.Context, p *topology.HostPlan, run hostRun, strict bool) error {
	hops := nextHops(p)
	if len(hops) == 0 {
		return nil
	}
	uplink := run.nic
	if p.Datapath == topology.DatapathNetdev {
		uplink = topology.PhysBridge
	}
	// Echo until the kernel holds every next hop's MAC: the reply itself
	// does not matter (a router may drop ICMP), the ARP exchange before it
	// does. A lost ARP is retried by the kernel only after a second, so
	// the bound spans several of its tries.
	deadline := time.Now().Add(resolveTimeout)
	var (
		macs    map[netip.Addr]net.HardwareAddr
		missing []string
	)
	for {
		var err error
		if macs, err = resolved(run, uplink, hops); err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
		missing = missing[:0]
		var todo []netip.Addr
		for _, nh := range hops {
			if macs[nh] == nil {
				missing, todo = append(missing, nh.String()), append(todo, nh)
			}
		}
		if len(todo) == 0 || time.Now().After(deadline) {
			break
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for _, nh := range todo {
			g.Go(func() error {
				_, _ = probe.Ping(gctx, run.netnsPath(), probe.Echo{Dst: nh, Timeout: 300 * time.Millisecond})
				return nil
			})
		}
		_ = g.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("host %s: underlay next hop %s does not answer ARP on %s: tunnels through it carry nothing; check the underlay (hosts.%s.gateway, cabling, the peer being up)",
			p.Host, strings.Join(missing, ", "), uplink, p.Host)
		if strict {
			return fmt.Errorf("%s", msg)
		}
		run.progress("warning: %s", msg)
	}
	if p.Datapath != topology.DatapathNetdev {
		return nil
	}
	return teachTunnelNeighbours(ctx, p, run, macs)
}

// resolved is the MAC the kernel holds for each of hops on uplink, asked
// hop by hop: a dump of the uplink's neighbours walks every netns's
// entries, and a large lab holds hundreds of thousands.
func resolved(run hostRun, uplink string, hops []netip.Addr) (map[netip.Addr]net.HardwareAddr, error) {
	macs := map[netip.Addr]net.HardwareAddr{}
	for _, nh := range hops {
		nb, ok, err := run.ns.NeighbourOf(uplink, nh)
		if err != nil {
			return nil, err
		}
		if ok && nb.MAC != nil {
			macs[nh] = nb.MAC
		}
	}
	return macs, nil
}

// teachTunnelNeighbours puts every resolved next hop into vswitchd's
// tunnel neighbour cache (ovs-appctl tnl/neigh/set), unless it is there.
func teachTunnelNeighbours(ctx context.Context, p *topology.HostPlan, run hostRun, macs map[netip.Addr]net.HardwareAddr) error {
	if run.runDir == "" {
		return nil // a TCP OVSDB endpoint: the control socket is elsewhere
	}
	sock, err := ovs.VswitchdControl(run.runDir)
	if err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	known, err := ovs.Appctl(ctx, sock, "tnl/neigh/show")
	if err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	for _, nh := range nextHops(p) {
		mac := macs[nh]
		if mac == nil || neighKnown(known, nh, mac) {
			continue
		}
		if _, err := ovs.Appctl(ctx, sock, "tnl/neigh/set", topology.PhysBridge, nh.String(), mac.String()); err != nil {
			return fmt.Errorf("host %s: tunnel next hop %s: %w", p.Host, nh, err)
		}
	}
	return nil
}

// neighKnown reports whether tnl/neigh/show output has ip at mac.
func neighKnown(show string, ip netip.Addr, mac net.HardwareAddr) bool {
	for _, line := range strings.Split(show, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == ip.String() && strings.EqualFold(f[1], mac.String()) {
			return true
		}
	}
	return false
}

// settleTunnels runs after an up changed the underlay MTU of a netdev
// host with tunnels. vswitchd reacts to the MTU change by dropping and
// re-reading the address it listens on for VXLAN (br-phy's); a packet
// that arrives while it is missing is forwarded to br-phy's own port (the
// kernel, which answers port unreachable), and the datapath flow made for
// it outlives the address coming back: re-reading it this way does not
// make vswitchd revalidate its flows. With traffic on the tunnel the flow
// never idles out, and every tunnelled packet was lost for as long as
// check ran (seen as 1 up in 13 after a student's MTU fix). So: wait for
// vswitchd to have seen the change and to listen on the address again,
// then purge its datapath flows so none decided meanwhile survives.
func settleTunnels(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun) error {
	if p.Datapath != topology.DatapathNetdev || run.runDir == "" || len(nextHops(p)) == 0 {
		return nil
	}
	// One more generation: the netlink event of an MTU vswitchd set itself
	// is read in a loop after the one that reported the first Sync.
	if err := oc.Sync(ctx); err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	sock, err := ovs.VswitchdControl(run.runDir)
	if err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	listen := "ipv4(dst=" + p.Underlay.Addr().String() + ","
	deadline := time.Now().Add(resolveTimeout)
	for {
		ports, err := ovs.Appctl(ctx, sock, "tnl/ports/show", "-v")
		if err != nil {
			return fmt.Errorf("host %s: %w", p.Host, err)
		}
		if strings.Contains(ports, listen) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("host %s: vswitchd does not listen for VXLAN on %s after the MTU change (ovs-appctl tnl/ports/show -v): tunnels to this host carry nothing; run up again", p.Host, p.Underlay.Addr())
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if _, err := ovs.Appctl(ctx, sock, "revalidator/purge"); err != nil {
		return fmt.Errorf("host %s: %w", p.Host, err)
	}
	return nil
}
