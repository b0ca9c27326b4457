package topology

import (
	"net"
	"net/netip"
)

// HostPlan is everything one host must hold for a lab: what `up` applies and
// `plan` prints. It is the same in real and emulated mode.
type HostPlan struct {
	Lab       string       `json:"lab"`
	Host      string       `json:"host"`
	Underlay  netip.Prefix `json:"underlay"`
	Gateway   netip.Addr   `json:"gateway"`             // underlay next hop
	Interface string       `json:"interface,omitempty"` // underlay NIC, "" = find by address
	Datapath  string       `json:"datapath"`
	MTU       int          `json:"mtu"` // underlay MTU

	Bridges    []BridgePlan    `json:"bridges"`
	Containers []ContainerPlan `json:"containers"`
	// IPForward is true when this host holds any network's gateway: it
	// routes between lab networks and, with NAT, out of the lab.
	IPForward bool      `json:"ip_forward"`
	NAT       []NATPlan `json:"nat"`
	// Names are the lines of every container's /etc/hosts: all the lab's
	// containers, not only this host's. Nil when the file says names: false.
	Names []NameEntry `json:"names,omitempty"`
}

// NameEntry is one name a container resolves: NODE or NODE.NETWORK.
type NameEntry struct {
	Name    string     `json:"name"`
	Address netip.Addr `json:"address"`
}

// BridgePlan is one OVS bridge carrying one network on this host.
type BridgePlan struct {
	Name    string       `json:"name"`
	Network string       `json:"network"`
	Subnet  netip.Prefix `json:"subnet"`
	VNI     uint32       `json:"vni"`
	Gateway *GatewayPort `json:"gateway,omitempty"` // only on the gateway host
	// HostPort is this host's own address on the network (host_ports),
	// an internal port like the gateway's; never on the gateway host.
	HostPort *GatewayPort `json:"host_port,omitempty"`
	Tunnels  []TunnelPort `json:"tunnels"`
	// Neighbours is every address on the network and its MAC, which up
	// makes permanent neighbours of the containers, gateway and host port
	// here (Peers); nil with neighbours: dynamic.
	Neighbours []Neighbour `json:"neighbours,omitempty"`
}

// GatewayPort is an OVS internal port holding the network's gateway address.
type GatewayPort struct {
	Port    string       `json:"port"`    // OVS port and kernel interface name: the network's name
	Address netip.Prefix `json:"address"` // e.g. 10.0.1.1/24
	MTU     int          `json:"mtu"`
}

// TunnelPort is a keyed VXLAN port to one remote host carrying the network.
// It must be created protected, so that a full mesh cannot loop broadcasts.
type TunnelPort struct {
	Port       string     `json:"port"` // TunnelPortName: <= 15 bytes, deterministic
	RemoteHost string     `json:"remote_host"`
	RemoteIP   netip.Addr `json:"remote_ip"`
	Key        uint32     `json:"key"`
}

// ContainerPlan is one container on this host.
type ContainerPlan struct {
	Name       string          `json:"name"`   // the node's name, also its hostname
	Docker     string          `json:"docker"` // the Docker container's name (Topology.DockerName)
	Image      string          `json:"image"`
	Build      string          `json:"build,omitempty"`
	Command    []string        `json:"command,omitempty"`
	Interfaces []InterfacePlan `json:"interfaces"`
	// NetAdmin is true when a stage breaks the container's addresses or
	// routes (faults address, route): the student repairs them inside it,
	// which takes CAP_NET_ADMIN in its own network namespace.
	NetAdmin bool `json:"net_admin,omitempty"`
}

// InterfacePlan is one veth pair: HostVeth on Bridge, Name inside the container.
type InterfacePlan struct {
	Name     string           `json:"name"` // inside the container: eth0, eth1, ...
	Network  string           `json:"network"`
	Bridge   string           `json:"bridge"`
	HostVeth string           `json:"host_veth"` // HostVethName: <= 15 bytes, unique per host
	Address  netip.Prefix     `json:"address"`   // with the subnet's prefix length
	MAC      net.HardwareAddr `json:"mac"`       // text in JSON (see MarshalJSON)
	MTU      int              `json:"mtu"`
	VLAN     int              `json:"vlan,omitempty"`   // OVS access tag of HostVeth, 0 = untagged
	Impair   *Impair          `json:"impair,omitempty"` // qdisc on both ends, nil = none
	// DefaultRoute is the next hop of the container's default route, set on
	// the first interface whose network has a gateway; invalid otherwise.
	DefaultRoute netip.Addr `json:"default_route,omitzero"`
}

// NATPlan is MASQUERADE for one subnet leaving through the host's uplink.
type NATPlan struct {
	Network string       `json:"network"`
	Subnet  netip.Prefix `json:"subnet"`
	// Exclude lists destinations that stay inside the lab (every lab
	// subnet), so routed traffic between lab networks keeps its source.
	Exclude []netip.Prefix `json:"exclude"`
	// GatewayPort is the internal port the subnet's traffic enters by;
	// FORWARD accepts are added for it.
	GatewayPort string `json:"gateway_port"`
}
