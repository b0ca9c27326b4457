package labs

import (
	"net"
	"net/netip"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// whichHost finds which of the file's hosts this machine is: the one named
// by --host, else the one whose underlay address is configured here.
func whichHost(t *topology.Topology, flag string) (string, error) {
	if flag != "" {
		for _, h := range t.Hosts {
			if h.Name == flag {
				return flag, nil
			}
		}
		return "", Usagef("--host %s: %s names no such host (hosts: %s)", flag, t.Source, strings.Join(t.HostNames(), ", "))
	}
	local, err := localAddrs()
	if err != nil {
		return "", err
	}
	var found []string
	for _, h := range t.Hosts {
		if local[h.Underlay.Addr()] {
			found = append(found, h.Name)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return "", Usagef("no address of this machine is a hosts.*.underlay address in %s (candidates: %s); pass --host NAME, or --emulate to build the whole lab here", t.Source, strings.Join(t.HostNames(), ", "))
	default:
		return "", Usagef("this machine holds the underlay addresses of %s; pass --host NAME", strings.Join(found, " and "))
	}
}

func localAddrs() (map[netip.Addr]bool, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]bool{}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(n.IP); ok {
				out[ip.Unmap()] = true
			}
		}
	}
	return out, nil
}
