package check

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/probe"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// gatewayNATJob probes the emulated WAN from a NAT'd network's gateway
// host, sourced from the gateway address: the WAN has no route back to the
// lab's subnets, so only a working MASQUERADE on the host's uplink brings
// the reply home. It needs no container, so a lab without any (or whose
// containers are down) still has its NAT checked.
func gatewayNATJob(lab string, n topology.Network, wan netip.Addr) probeJob {
	g := n.Gateway
	return probeJob{
		res:   probeHead{Kind: KindNAT, From: fmt.Sprintf("%s/%s (%s)", g.Host, n.Name, g.Address), To: fmt.Sprintf("wan (%s)", wan)},
		netns: nsutil.Path(labs.NetnsName(lab, g.Host)),
		echo:  probe.Echo{Dst: wan, Src: g.Address, Size: 56, Timeout: time.Second, Tries: 3},
	}
}
