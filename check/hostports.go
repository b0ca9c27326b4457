package check

import (
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// hostStations are the hosts on network n themselves: the gateway's host
// and each host port, with the address each holds there.
func hostStations(n topology.Network) []topology.HostPort {
	var out []topology.HostPort
	if g := n.Gateway; g != nil {
		out = append(out, topology.HostPort{Host: g.Host, Address: g.Address})
	}
	return append(out, n.HostPorts...)
}

// hostPairJobs covers the pairs of hosts on network n that the
// containers' probes do not: where one side has no untagged container but
// holds the network itself (a gateway or host port), a full-size DF packet
// and a small ping cross the pair between whatever each side has, so a
// lab of host ports alone has its tunnels and underlay MTU proved too.
// untagged are the network's untagged members; sends says which of them
// run here.
func hostPairJobs(t *topology.Topology, st *labs.State, n topology.Network, untagged []topology.Member, pids map[string]int) []probeJob {
	type side struct {
		member  *topology.Member   // a running container of the host, preferred
		station *topology.HostPort // else the host itself
		target  netip.Addr
		name    string
	}
	sides := map[string]*side{}
	for _, hs := range hostStations(n) {
		sides[hs.Host] = &side{station: &hs, target: hs.Address, name: hs.Host}
	}
	withContainers := map[string]bool{}
	for i, m := range untagged {
		h := m.Container.Host
		withContainers[h] = true
		s := sides[h]
		if s == nil {
			s = &side{}
			sides[h] = s
		}
		if s.member == nil {
			s.member, s.target, s.name = &untagged[i], m.Iface.Address, m.Container.Name
		}
	}
	hosts := make([]string, 0, len(sides))
	for h := range sides {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var jobs []probeJob
	for x, h1 := range hosts {
		for _, h2 := range hosts[x+1:] {
			if withContainers[h1] && withContainers[h2] {
				continue // the containers' own DF probe crosses this pair
			}
			a, b := sides[h1], sides[h2]
			job, ok := hostPairJob(t, st, a.member, a.station, b.target, b.name, pids)
			if !ok {
				job, ok = hostPairJob(t, st, b.member, b.station, a.target, a.name, pids)
			}
			if !ok {
				continue
			}
			small := job
			small.res.Kind, small.echo.Size, small.echo.DF = KindPing, 56, false
			if job.res.Path != nil {
				small.res.Path = &Path{From: job.res.Path.From, To: job.res.Path.To, Size: 56 + ipICMPHeaders}
			}
			jobs = append(jobs, small, job)
		}
	}
	return jobs
}

// hostPairJob is a full-size DF probe to dst (node name to) sent by a
// running container m, else by the host itself through station, when
// this machine can send from it.
func hostPairJob(t *topology.Topology, st *labs.State, m *topology.Member, station *topology.HostPort, dst netip.Addr, to string, pids map[string]int) (probeJob, bool) {
	size := topology.ContainerMTU
	var j probeJob
	switch {
	case m != nil && pids[m.Container.Name] != 0:
		size = min(size, orDefault(m.Iface.MTU))
		j.netns = fmt.Sprintf("/proc/%d/ns/net", pids[m.Container.Name])
		j.res = probeHead{Kind: KindPMTU, From: m.Container.Name, Path: &Path{From: m.Container.Name}}
	case station != nil && (st.Mode == labs.ModeEmulated || slices.Contains(st.Hosts, station.Host)):
		if st.Mode == labs.ModeEmulated {
			j.netns = nsutil.Path(labs.NetnsName(st.Lab, station.Host))
		}
		j.echo.Src = station.Address
		j.res = probeHead{Kind: KindPMTU, From: fmt.Sprintf("%s (%s)", station.Host, station.Address)}
		if isHostPort(t, station) {
			j.res.Path = &Path{From: station.Host}
		}
	default:
		return j, false
	}
	j.res.To = fmt.Sprintf("%s (%s)", to, dst)
	if j.res.Path != nil {
		j.res.Path.To, j.res.Path.Size = dst.String(), size
	}
	j.echo.Dst, j.echo.Size, j.echo.DF, j.echo.Timeout, j.echo.Tries = dst, size-ipICMPHeaders, true, time.Second, 3
	return j, true
}

// isHostPort tells a host port (which trace can start from) from a
// gateway (which it cannot).
func isHostPort(t *topology.Topology, s *topology.HostPort) bool {
	for _, n := range t.Networks {
		if slices.Contains(n.HostPorts, *s) {
			return true
		}
	}
	return false
}
