package labs

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// Host ports (networks.N.host_ports): a host's own address on a network,
// on an OVS internal port of the network's bridge.

// applyHostPorts gives each host port of the plan its address once
// vswitchd has made its kernel interface.
func applyHostPorts(ctx context.Context, oc *ovs.Client, p *topology.HostPlan, run hostRun) error {
	for _, b := range p.Bridges {
		hp := b.HostPort
		if hp == nil {
			continue
		}
		if err := oc.WaitInterface(ctx, hp.Port); err != nil {
			return fmt.Errorf("host %s: host port %s: %w", p.Host, hp.Port, err)
		}
		if err := portAddr(run, p.Host, hp.Port, hp.Address); err != nil {
			return fmt.Errorf("host %s: host port %w", p.Host, err)
		}
		if err := addrPortNeighbours(run, &b, hp); err != nil {
			return fmt.Errorf("host %s: host port %w", p.Host, err)
		}
	}
	return nil
}

// hostPortProblems reports host ports of the plan that lack their address.
func hostPortProblems(netns string, p *topology.HostPlan) []string {
	var out []string
	for _, b := range p.Bridges {
		hp := b.HostPort
		if hp == nil {
			continue
		}
		var have []netip.Prefix
		err := nsutil.InNamed(netns, func(n *nsutil.NS) (err error) {
			have, err = n.Addrs(hp.Port)
			return err
		})
		switch {
		case errors.Is(err, nsutil.ErrNoLink):
			out = append(out, fmt.Sprintf("host port %s of %s is missing", hp.Port, b.Network))
		case err != nil:
			out = append(out, fmt.Sprintf("host port %s: %v", hp.Port, err))
		case !slices.Contains(have, hp.Address):
			out = append(out, fmt.Sprintf("host port %s lacks its address %s (has %v)", hp.Port, hp.Address, have))
		}
	}
	return out
}
