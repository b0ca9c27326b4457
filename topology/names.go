package topology

import (
	"fmt"
	"hash/fnv"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Name limits. Host names become netns names (<lab>-<host>), networks name
// gateway ports (kernel interfaces), containers become Docker names and
// hostnames.
const (
	maxLabName       = 24
	maxHostName      = 15
	maxNetworkName   = 15
	maxContainerName = 63
	// MaxIfname is the longest Linux interface (and so OVS port) name.
	MaxIfname = 15
)

// PhysBridge is the OVS bridge holding the underlay NIC and the VTEP
// address with the netdev datapath: OVS userspace tunnelling sends VXLAN
// only out of ports of its own bridges, so the address must live on an OVS
// bridge, not on the NIC. No lab bridge or port may take its name.
const PhysBridge = "br-phy"

// reservedIfnames exist in every host's namespace or are made by OVS itself.
var reservedIfnames = map[string]string{
	PhysBridge:       "the underlay bridge of userspace tunnelling",
	"lo":             "the loopback interface",
	"ovs-system":     "the kernel datapath's own interface",
	"ovs-netdev":     "the userspace datapath's own interface",
	"vxlan_sys_4789": "the kernel's shared VXLAN device",
}

var (
	labNamePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	namePattern    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
	ifnamePattern  = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)
)

func (p *parser) checkLabName(n *yaml.Node, name string) {
	switch {
	case len(name) > maxLabName:
		p.errAt(n, "name", "lab name %q is %d bytes; at most %d (it names network namespaces and state)", name, len(name), maxLabName)
	case !labNamePattern.MatchString(name):
		p.errAt(n, "name", "lab name %q is not valid: use lowercase letters, digits and '-' (not first or last)", name)
	}
}

// Node names that are not hosts: emulation makes the netns <lab>-router and
// <lab>-wan, and `ovslab exec LAB NODE` takes them as NODE.
const (
	routerNode = "router"
	wanNode    = "wan"
)

func (p *parser) checkHostName(key *yaml.Node, path, name string) {
	if !p.checkName(key, path, "host", name, maxHostName) {
		return
	}
	switch name {
	case routerNode:
		p.errAt(key, path, "host name %q is reserved: emulation names the router's netns <lab>-router and `ovslab exec LAB router` means it; pick another host name", name)
	case wanNode:
		p.errAt(key, path, "host name %q is reserved: emulation names the emulated internet's netns <lab>-wan and the router's link to it wan; pick another host name", name)
	case "lo":
		p.errAt(key, path, "host name %q is reserved: the router's end of each host's underlay link is named after the host, and the router's netns already has the loopback lo; pick another host name", name)
	}
}

// checkContainerName refuses the names of the emulated router and WAN, so
// that NODE in `ovslab exec LAB NODE` is never ambiguous. A container named
// like a host is caught in validateContainers, once all hosts are known.
func (p *parser) checkContainerName(key *yaml.Node, path, name string) {
	if !p.checkName(key, path, "container", name, maxContainerName) {
		return
	}
	if len(name) < 2 {
		// Docker's own rule, [a-zA-Z0-9][a-zA-Z0-9_.-]+: up would fail half-way.
		p.errAt(key, path, "container name %q is one character: Docker needs at least two; pick a longer name", name)
		return
	}
	if name == routerNode || name == wanNode {
		p.errAt(key, path, "container name %q is reserved for the emulated %s: `ovslab exec LAB %s` must name one node; pick another container name", name, name, name)
	}
}

// checkName checks a host, network or container name: safe as a file, netns
// and Docker name.
func (p *parser) checkName(key *yaml.Node, path, what, name string, max int) bool {
	switch {
	case len(name) > max:
		p.errAt(key, path, "%s name %q is %d bytes; at most %d", what, name, len(name), max)
	case !namePattern.MatchString(name):
		p.errAt(key, path, "%s name %q is not valid: use lowercase letters, digits and '-', starting with a letter or digit", what, name)
	default:
		return true
	}
	return false
}

// ifnameProblem says why s cannot be a Linux interface name, or "".
func ifnameProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > MaxIfname:
		return fmt.Sprintf("%q is %d bytes; Linux allows at most %d", s, len(s), MaxIfname)
	case s == "." || s == ".." || !ifnamePattern.MatchString(s):
		return fmt.Sprintf("%q is not valid: use letters, digits, '_', '.' and '-'", s)
	}
	return ""
}

// bridgeProblem says why s cannot name a lab bridge, or "".
func bridgeProblem(s string) string {
	if msg := ifnameProblem(s); msg != "" {
		return msg
	}
	if why, ok := reservedIfnames[s]; ok {
		return fmt.Sprintf("%q is reserved for %s", s, why)
	}
	return ""
}

// Docker reference grammar (distribution/reference), enough to reject what
// the engine would refuse before any host is touched.
var imagePattern = func() *regexp.Regexp {
	const (
		domainPart = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
		domain     = domainPart + `(?:\.` + domainPart + `)*(?::[0-9]+)?`
		component  = `[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*`
		name       = `(?:` + domain + `/)?` + component + `(?:/` + component + `)*`
		tag        = `[\w][\w.-]{0,127}`
		digest     = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}`
	)
	return regexp.MustCompile(`^` + name + `(?::` + tag + `)?(?:@` + digest + `)?$`)
}()

// imageProblem says why s is not a usable Docker image reference, or "".
func imageProblem(s string) string {
	switch {
	case s == "":
		return "is empty"
	case len(s) > 255:
		return fmt.Sprintf("reference is %d bytes; Docker allows at most 255", len(s))
	case !imagePattern.MatchString(s):
		if strings.ToLower(s) != s && imagePattern.MatchString(strings.ToLower(s)) {
			return fmt.Sprintf("%q must be lowercase (except in the registry host and tag)", s)
		}
		return fmt.Sprintf("%q is not a valid Docker image reference (e.g. ovslab/busybox or debian:12)", s)
	}
	return ""
}

// TunnelPortName is the VXLAN port of network (VNI vni) to host peer:
// vx<vni>-<peer> when that fits in an interface name, else vx and a hash.
func TunnelPortName(network string, vni uint32, peer string) string {
	if s := "vx" + strconv.FormatUint(uint64(vni), 10) + "-" + peer; len(s) <= MaxIfname {
		return s
	}
	return "vx" + hash8(network+"/"+peer)
}

// HostVethName is the host end of a container's veth for interface i:
// v<container> for eth0 and v<container>.<i> after that, or, when that is
// too long, v, the container's first letters, '-' and a hash.
func HostVethName(container string, i int) string {
	s := "v" + container
	if i > 0 {
		s += "." + strconv.Itoa(i)
	}
	if len(s) <= MaxIfname {
		return s
	}
	prefix := container
	if len(prefix) > 5 {
		prefix = prefix[:5]
	}
	return "v" + prefix + "-" + hash8(container+"/eth"+strconv.Itoa(i))
}

func hash8(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return fmt.Sprintf("%08x", h.Sum32())
}

// DefaultBridge is the bridge of a network that names none.
func DefaultBridge(network string) string { return "br-" + network }

// ValidLabName reports whether name is a valid lab name. The lab name
// arrives from the command line too (down, status, exec), where it becomes
// a path under /run/ovslab: one rule for both.
func ValidLabName(name string) bool {
	return len(name) <= maxLabName && labNamePattern.MatchString(name)
}
