package topology

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Text renders the plan the way a network engineer reads a host: underlay,
// then each bridge with its ports, then containers, then NAT.
func (p *HostPlan) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "lab %s, host %s\n", p.Lab, p.Host)
	nic := p.Interface
	if nic == "" {
		nic = "the NIC holding the address"
	}
	fmt.Fprintf(&b, "underlay %s via %s on %s (MTU %d), datapath %s\n", p.Underlay, p.Gateway, nic, p.MTU, p.Datapath)
	if p.Datapath == DatapathNetdev {
		// Userspace tunnelling sends VXLAN only out of OVS's own ports.
		fmt.Fprintf(&b, "bridge %s holds %s and the VTEP address %s (OVS userspace tunnelling)\n", PhysBridge, nic, p.Underlay.Addr())
	}
	if p.IPForward {
		b.WriteString("ip_forward on (this host routes for its gateways)\n")
	}

	w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, br := range p.Bridges {
		fmt.Fprintf(w, "\nbridge %s: network %s %s, VNI %d\n", br.Name, br.Network, br.Subnet, br.VNI)
		if g := br.Gateway; g != nil {
			fmt.Fprintf(w, "  internal\t%s\t%s, MTU %d (gateway)\n", g.Port, g.Address, g.MTU)
		}
		if hp := br.HostPort; hp != nil {
			fmt.Fprintf(w, "  internal\t%s\t%s, MTU %d (host port: this host on the network)\n", hp.Port, hp.Address, hp.MTU)
		}
		for _, t := range br.Tunnels {
			fmt.Fprintf(w, "  vxlan\t%s\t-> %s %s, key %d, protected\n", t.Port, t.RemoteHost, t.RemoteIP, t.Key)
		}
		for _, c := range p.Containers {
			for _, it := range c.Interfaces {
				if it.Bridge == br.Name {
					fmt.Fprintf(w, "  veth\t%s\t-> %s %s%s\n", it.HostVeth, c.Name, it.Name, tagText(it.VLAN))
				}
			}
		}
		if br.Gateway == nil && br.HostPort == nil && len(br.Tunnels) == 0 && !p.bridgeHasContainers(br.Name) {
			fmt.Fprintf(w, "  (no ports)\n")
		}
	}
	w.Flush()

	for _, c := range p.Containers {
		fmt.Fprintf(&b, "\ncontainer %s, image %s", c.Name, c.Image)
		if c.Docker != c.Name {
			fmt.Fprintf(&b, ", Docker name %s", c.Docker)
		}
		if c.Build != "" {
			fmt.Fprintf(&b, " (built from %s)", c.Build)
		}
		if len(c.Command) > 0 {
			fmt.Fprintf(&b, ", command %s", quoteArgs(c.Command))
		}
		b.WriteString("\n")
		w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, it := range c.Interfaces {
			route := ""
			if it.DefaultRoute.IsValid() {
				route = "\tdefault via " + it.DefaultRoute.String()
			}
			extra := ""
			if it.VLAN != 0 {
				extra += fmt.Sprintf(", VLAN %d", it.VLAN)
			}
			if it.Impair != nil {
				extra += ", impaired: " + it.Impair.String() + " (" + it.Impair.qdisc() + " on both ends)"
			}
			fmt.Fprintf(w, "  %s\t%s\t%s\tMTU %d\ton %s by %s%s%s\n", it.Name, it.Address, it.MAC, it.MTU, it.Bridge, it.HostVeth, route, extra)
		}
		w.Flush()
	}

	if len(p.NAT) > 0 {
		b.WriteString("\nNAT\n")
		w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, n := range p.NAT {
			ex := make([]string, len(n.Exclude))
			for i, e := range n.Exclude {
				ex[i] = e.String()
			}
			fmt.Fprintf(w, "  %s\t%s\tMASQUERADE out of the lab (not to %s); FORWARD accepts what enters by port %s, and its replies\n", n.Network, n.Subnet, strings.Join(ex, ", "), n.GatewayPort)
		}
		w.Flush()
	}
	for _, br := range p.Bridges {
		if len(br.Neighbours) > 0 {
			fmt.Fprintf(&b, "\nneighbours: each interface on %s knows its segment of %d addresses as permanent neighbours (no ARP)\n", br.Name, len(br.Neighbours))
		}
	}
	if len(p.Names) > 0 && len(p.Containers) > 0 {
		fmt.Fprintf(&b, "\nnames: /etc/hosts of each container here resolves %d names\n", len(p.Names))
		w := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, n := range p.Names {
			fmt.Fprintf(w, "  %s\t%s\n", n.Name, n.Address)
		}
		w.Flush()
	}
	if len(p.Bridges) == 0 && len(p.Containers) == 0 {
		b.WriteString("\nnothing of the lab runs on this host\n")
	}
	return b.String()
}

// tagText describes a container port's VLAN: an access port with a tag,
// or an untagged port that carries only untagged frames (trunks=[0]).
func tagText(vlan int) string {
	if vlan == 0 {
		return " (untagged)"
	}
	return fmt.Sprintf(" (VLAN %d, access port)", vlan)
}

func (p *HostPlan) bridgeHasContainers(bridge string) bool {
	for _, c := range p.Containers {
		for _, it := range c.Interfaces {
			if it.Bridge == bridge {
				return true
			}
		}
	}
	return false
}

// quoteArgs prints a command the way a shell user would type it.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		} else {
			out[i] = a
		}
	}
	return strings.Join(out, " ")
}
