package topology

import (
	"net"
	"net/netip"
)

// Topology is a validated topology file with every default applied.
// Slices are sorted by name so that output and plans are deterministic.
type Topology struct {
	Name       string
	Source     string // file path, or "builtin:<lab>"
	Dir        string // directory that relative build paths are resolved against
	Hosts      []Host
	Underlay   Underlay
	Networks   []Network
	Emulation  Emulation
	Containers []Container
	Expect     []Expectation // in file order
	// Stages are the steps of an exercise, in file order (stages.go); a
	// lab starts in the first.
	Stages []Stage
	// Names puts every lab container's name in every container's
	// /etc/hosts (default true).
	Names bool
	// Hints is how much up's warnings and check's details tell a student
	// (default HintsFix). A stage that sets its own overrides it while it
	// is the current stage.
	Hints Hints
	// StaticNeighbours has up install every address of each network as a
	// permanent neighbour where it is used (neighbours: static, the
	// default); false leaves ARP to the kernel (neighbours.go).
	StaticNeighbours bool

	buildAt map[string]position // container → where its build: was written
	// dockerPrefix is what a copy of the lab (Rename) puts before a
	// container's name to make its Docker name; "" for the lab itself.
	dockerPrefix string
}

// Host is one Docker host (a VTEP).
type Host struct {
	Name      string
	Underlay  netip.Prefix // VTEP address with prefix, e.g. 172.16.10.100/24
	Gateway   netip.Addr   // underlay next hop
	Interface string       // underlay NIC; "" means: the one holding the address (ForEmulation: eth0)
	Datapath  string       // DatapathSystem or DatapathNetdev
	SSH       SSH          // where `--all` reaches the host
	// DatapathSet is true when the file names the datapath: emulation
	// then keeps it instead of choosing one for the machine.
	DatapathSet bool
}

// Datapath types accepted in hosts.*.datapath.
const (
	DatapathSystem = "system"
	DatapathNetdev = "netdev"
)

// Underlay holds settings shared by all hosts' underlay links.
type Underlay struct {
	MTU int
}

// DefaultUnderlayMTU fits a 1500-byte inner packet plus VXLANOverhead.
const DefaultUnderlayMTU = ContainerMTU + VXLANOverhead

// ContainerMTU is the MTU of every container interface: a plain Ethernet MTU,
// so the underlay must carry it plus the VXLAN overhead.
const ContainerMTU = 1500

// VXLANOverhead is what VXLAN over IPv4 adds to an inner IP packet: inner
// Ethernet header 14 + VXLAN 8 + UDP 8 + outer IPv4 20 = 50, rounded up by the
// classic lab to 54 to leave room for an inner 802.1Q tag.
const VXLANOverhead = 54

// Network is one container network stretched across hosts.
type Network struct {
	Name    string
	Subnet  netip.Prefix
	VNI     uint32
	Bridge  string   // default DefaultBridge(Name)
	Gateway *Gateway // nil: the network has no gateway
	// HostPorts are the hosts that join the network themselves, sorted
	// by host name.
	HostPorts []HostPort
}

// Gateway is a network's router address, an OVS internal port on one host.
type Gateway struct {
	Host    string
	Address netip.Addr // default: the subnet's first address
	NAT     bool
}

// Emulation holds settings read only with --emulate.
type Emulation struct {
	WAN netip.Prefix // the emulated internet behind the router
}

// DefaultWAN is the emulated internet when emulation.wan is not given
// (TEST-NET-2, never routed on the real internet).
var DefaultWAN = netip.MustParsePrefix("198.51.100.0/24")

// Container is one lab container.
type Container struct {
	Name       string
	Host       string
	Image      string
	Build      string   // absolute path of a Dockerfile context, or ""
	Command    []string // nil: the image's default
	Interfaces []Interface
}

// Interface is one container interface attached to a network.
type Interface struct {
	Name    string // eth0, eth1, ... in file order
	Network string
	Address netip.Addr
	MAC     net.HardwareAddr // never nil after Parse: default DefaultMAC(Address)
	VLAN    int              // OVS access tag, 0 = untagged
	MTU     int              // both veth ends; ContainerMTU unless the file sets it
	Impair  *Impair          // nil: the link is not impaired
}
