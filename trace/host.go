package trace

import (
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/ovs"
	"github.com/ovslab/ovslab/topology"
)

// hostView is one host of the lab as this machine reads it, opened on
// first use so a trace asks only the hosts on its path.
type hostView struct {
	name    string
	place   labs.Place
	plan    *topology.HostPlan
	ns      *nsutil.NS
	bridges []ovs.BridgeStatus
	ctl     string // ovs-vswitchd's control socket
	chains  map[nat.ChainRef]*nat.Chain
	err     error // why the host cannot be read
}

// host opens the view of host h, once.
func (w *walker) host(h string) *hostView {
	if v, ok := w.hosts[h]; ok {
		return v
	}
	w.o.Progressf("%s: reading its state", h)
	v := &hostView{name: h, place: w.st.Place(h, w.o.OVSDB), chains: map[nat.ChainRef]*nat.Chain{}}
	w.hosts[h] = v
	v.plan, v.err = w.t.Plan(h)
	if v.err != nil {
		return v
	}
	if v.ns, v.err = nsutil.Open(v.place.Netns); v.err != nil {
		return v
	}
	oc, err := ovs.Connect(w.ctx, v.place.OVSDB)
	if err != nil {
		v.err = fmt.Errorf("host %s: %w", h, err)
		return v
	}
	defer oc.Close()
	if v.bridges, v.err = oc.Status(w.ctx, w.st.Lab); v.err != nil {
		return v
	}
	if v.ctl, v.err = ovs.VswitchdControl(v.place.RunDir); v.err != nil {
		v.err = fmt.Errorf("host %s: %w", h, v.err)
	}
	return v
}

func (v *hostView) close() {
	if v.ns != nil {
		v.ns.Close()
	}
}

// port finds an OVS port by name on any of the lab's bridges.
func (v *hostView) port(name string) (*ovs.PortStatus, string) {
	for _, b := range v.bridges {
		for i := range b.Ports {
			if b.Ports[i].Name == name {
				return &b.Ports[i], b.Name
			}
		}
	}
	return nil, ""
}

// tunnels lists the VXLAN ports whose remote_ip is remote, with their bridge.
func (v *hostView) tunnels(remote netip.Addr) []bridgePort {
	var out []bridgePort
	for _, b := range v.bridges {
		for _, p := range b.Ports {
			if p.Type == "vxlan" && p.Options["remote_ip"] == remote.String() {
				out = append(out, bridgePort{b.Name, p})
			}
		}
	}
	return out
}

// uplinkNICs are the underlay NICs a tunnel leaves by: on the netdev
// datapath the ports of br-phy other than its own, else the route's device.
func (v *hostView) uplinkNICs(routeDev string) []string {
	if v.plan.Datapath != topology.DatapathNetdev {
		return []string{routeDev}
	}
	var out []string
	for _, b := range v.bridges {
		if b.Name != topology.PhysBridge {
			continue
		}
		for _, p := range b.Ports {
			if !p.Local {
				out = append(out, p.Name)
			}
		}
	}
	return out
}

type bridgePort struct {
	bridge string
	port   ovs.PortStatus
}

// chain returns table/chain as iptables lists it in the host, reading it
// and the chains it jumps to on first use.
func (v *hostView) chain(table, chain string) (map[nat.ChainRef]*nat.Chain, error) {
	k := nat.ChainRef{Table: table, Chain: chain}
	if _, ok := v.chains[k]; !ok {
		got, err := nat.ReadChains(v.place.Netns, k)
		if err != nil {
			return nil, fmt.Errorf("host %s: iptables: %w", v.name, err)
		}
		for ck, c := range got {
			v.chains[ck] = c
		}
		if _, ok := got[k]; !ok {
			v.chains[k] = nil
		}
	}
	return v.chains, nil
}

// mac is the MAC of link in the host, nil if unknown.
func (v *hostView) mac(link string) net.HardwareAddr {
	li, err := v.ns.LinkState(link)
	if err != nil {
		return nil
	}
	return li.MAC
}

// underlay is the host's VTEP address.
func (w *walker) underlayOf(h string) netip.Addr {
	if x, ok := w.t.HostByName(h); ok {
		return x.Underlay.Addr()
	}
	return netip.Addr{}
}

// hostByVTEP is the host whose underlay address is a.
func (w *walker) hostByVTEP(a netip.Addr) string {
	i := slices.IndexFunc(w.t.Hosts, func(h topology.Host) bool { return h.Underlay.Addr() == a })
	if i < 0 {
		return ""
	}
	return w.t.Hosts[i].Name
}
