package draw

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
	"github.com/ovslab/ovslab/topology"
)

// A synthetic check: results on the paths check's own pathFinder gives
// them (the container's link, the tunnel, the gateway, the uplink),
// counted on an Overlay with the lines check writes, and failures of one
// kind at a time: the underlay's MTU, a tunnel, a container's link, a
// host's own report, all of them at once.

// testLab is a lab the picture is drawn for in the tests.
type testLab struct {
	name string
	topo *topology.Topology
}

// testLabs are every catalog lab (a lab added to the catalog is tested
// without a change here) and the 4×50 lab.
func testLabs(t *testing.T) []testLab {
	t.Helper()
	var out []testLab
	for _, name := range catalog.Names() {
		data, _ := catalog.Get(name)
		topo, err := topology.Parse(name+".yaml", data)
		if err != nil {
			t.Fatalf("catalog lab %s: %v", name, err)
		}
		out = append(out, testLab{name, topo})
	}
	if len(out) < 7 {
		t.Fatalf("catalog.Names lists %d labs, want every catalog lab", len(out))
	}
	out = append(out, testLab{"scale-4x50", testenv.ScaleLab(t, 4, 50)})
	for name, y := range oddLabs {
		topo, err := topology.Parse(name+".yaml", []byte(y))
		if err != nil {
			t.Fatalf("lab %s: %v", name, err)
		}
		out = append(out, testLab{name, topo})
	}
	return out
}

// oddLabs are shapes no catalog lab has yet: one host; a container on
// three networks, one of them not next to the others; six hosts in a
// full mesh, whose tunnels pass over four hosts.
var oddLabs = map[string]string{
	"one-host": `name: one-host
hosts: {solo: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}}
networks: {net1: {subnet: 10.0.1.0/24, vni: 5000, gateway: {host: solo, nat: true}}}
containers:
  ca: {host: solo, image: ovslab/busybox, network: net1, address: 10.0.1.10}
  cb: {host: solo, image: ovslab/busybox, network: net1, address: 10.0.1.11}
`,
	"three-nets": `name: three-nets
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
  host3: {underlay: 172.16.30.100/24, gateway: 172.16.30.1}
networks:
  a: {subnet: 10.0.1.0/24, vni: 5001, host_ports: {host2: 10.0.1.2}}
  b: {subnet: 10.0.2.0/24, vni: 5002, gateway: {host: host3}}
  c: {subnet: 10.0.3.0/24, vni: 5003}
containers:
  ac: {host: host1, image: ovslab/busybox, interfaces: [{network: a, address: 10.0.1.10}, {network: c, address: 10.0.3.10}]}
  abc: {host: host1, image: ovslab/busybox, interfaces: [{network: a, address: 10.0.1.11}, {network: b, address: 10.0.2.11}, {network: c, address: 10.0.3.11}]}
  ab: {host: host3, image: ovslab/busybox, interfaces: [{network: a, address: 10.0.1.30}, {network: b, address: 10.0.2.30}]}
  bc: {host: host2, image: ovslab/busybox, interfaces: [{network: b, address: 10.0.2.20}, {network: c, address: 10.0.3.20}]}
  c3: {host: host3, image: ovslab/busybox, network: c, address: 10.0.3.30, vlan: 7}
`,
	"mesh6": `name: mesh6
hosts:
  m1: {underlay: 172.16.1.100/24, gateway: 172.16.1.1}
  m2: {underlay: 172.16.2.100/24, gateway: 172.16.2.1}
  m3: {underlay: 172.16.3.100/24, gateway: 172.16.3.1}
  m4: {underlay: 172.16.4.100/24, gateway: 172.16.4.1}
  m5: {underlay: 172.16.5.100/24, gateway: 172.16.5.1}
  m6: {underlay: 172.16.6.100/24, gateway: 172.16.6.1}
networks:
  net1: {subnet: 10.0.1.0/24, vni: 5000}
  net2: {subnet: 10.0.2.0/24, vni: 6000}
containers:
  c1: {host: m1, image: ovslab/busybox, network: net1, address: 10.0.1.1}
  c2: {host: m2, image: ovslab/busybox, network: net1, address: 10.0.1.2}
  c3: {host: m3, image: ovslab/busybox, network: net1, address: 10.0.1.3}
  c4: {host: m4, image: ovslab/busybox, network: net1, address: 10.0.1.4}
  c5: {host: m5, image: ovslab/busybox, network: net1, address: 10.0.1.5}
  c6: {host: m6, image: ovslab/busybox, network: net1, address: 10.0.1.6}
  d1: {host: m1, image: ovslab/busybox, network: net2, address: 10.0.2.1}
  d4: {host: m4, image: ovslab/busybox, network: net2, address: 10.0.2.4}
  d6: {host: m6, image: ovslab/busybox, network: net2, address: 10.0.2.6}
`,
}

// scenarios of a synthetic check, by the kind of fault each fails.
var scenarios = []string{"pass", "mtu", "blackhole", "tunnel", "link", "host", "all"}

type synthResult struct {
	ok   bool
	line string
	keys []string
}

// member is one container interface on a network.
type member struct{ container, iface, host, network string }

// synthCheck is what a check of lab would count, with the faults of
// scenario in. The "mtu" scenario lowers the underlay MTU below what
// VXLAN needs (as mtu-broken does); "blackhole" loses full-size frames
// on an underlay the file gives enough (as mtu-blackhole's stage does).
func synthCheck(t *testing.T, topo *topology.Topology, scenario string) (*topology.Topology, *Overlay, []synthResult) {
	t.Helper()
	if scenario == "mtu" || scenario == "all" {
		cp := *topo
		cp.Underlay.MTU = 1500
		topo = &cp
	}
	plans := topo.Plans()
	members := map[string][]member{}
	var nets []string
	for _, p := range plans {
		for _, c := range p.Containers {
			for _, i := range c.Interfaces {
				if members[i.Network] == nil {
					nets = append(nets, i.Network)
				}
				members[i.Network] = append(members[i.Network], member{c.Name, i.Name, p.Host, i.Network})
			}
		}
	}
	slices.Sort(nets)
	var rs []synthResult
	add := func(ok bool, line string, keys ...string) { rs = append(rs, synthResult{ok, line, keys}) }
	path := func(a, b member) []string {
		keys := []string{LinkKey(a.container, a.iface), LinkKey(b.container, b.iface)}
		if a.host != b.host {
			keys = append(keys, TunnelKey(a.network, a.host, b.host))
		}
		return keys
	}
	for _, p := range plans {
		add(true, "host "+p.Host+" -> unix:/run/ovslab/x/"+p.Host+"/db.sock", HostKey(p.Host))
		for _, b := range p.Bridges {
			for _, tp := range b.Tunnels {
				add(true, fmt.Sprintf("tunnel %s/%s -> %s key %d", p.Host, b.Name, tp.RemoteIP, tp.Key), TunnelKey(b.Network, p.Host, tp.RemoteHost))
			}
		}
	}
	for _, n := range nets {
		ms := members[n]
		net, _ := topo.NetworkByName(n)
		for i, a := range ms {
			if len(ms) > 1 {
				b := ms[(i+1)%len(ms)]
				add(true, fmt.Sprintf("ping %s -> %s (%s)", a.container, b.container, n), path(a, b)...)
				if a.host != b.host {
					add(true, fmt.Sprintf("pmtu %s -> %s (%s): 1500-byte DF packet", a.container, b.container, n), path(a, b)...)
				}
			}
			if g := net.Gateway; g != nil {
				keys := []string{LinkKey(a.container, a.iface), GatewayKey(n)}
				if a.host != g.Host {
					keys = append(keys, TunnelKey(n, a.host, g.Host))
				}
				add(true, fmt.Sprintf("gateway %s -> %s (%s)", a.container, g.Host, g.Address), keys...)
				if g.NAT {
					add(true, fmt.Sprintf("nat %s -> wan (%s)", a.container, n), append(keys, UplinkKey(g.Host))...)
				}
			}
			for _, hp := range net.HostPorts {
				keys := []string{LinkKey(a.container, a.iface), HostPortKey(n, hp.Host)}
				if a.host != hp.Host {
					keys = append(keys, TunnelKey(n, a.host, hp.Host))
				}
				add(true, fmt.Sprintf("ping %s -> %s (%s)", a.container, hp.Host, hp.Address), keys...)
			}
		}
	}

	// The faults.
	fail := func(match func(r synthResult) bool) {
		for i, r := range rs {
			if match(r) && r.ok {
				rs[i].ok = false
				rs[i].line = strings.SplitN(r.line, ":", 2)[0] + ": no reply"
			}
		}
	}
	crosses := func(key string) func(r synthResult) bool {
		return func(r synthResult) bool { return slices.Contains(r.keys, key) }
	}
	var tunnel, link string
	for _, r := range rs {
		for _, k := range r.keys {
			if tunnel == "" && partRank(k) == rankTunnel {
				tunnel = k
			}
		}
	}
	if ms := members[firstNet(nets)]; len(ms) > 0 {
		m := ms[len(ms)-1]
		link = LinkKey(m.container, m.iface)
	}
	if scenario == "mtu" || scenario == "blackhole" || scenario == "all" {
		fail(func(r synthResult) bool { return strings.HasPrefix(r.line, "pmtu ") })
	}
	if (scenario == "tunnel" || scenario == "all") && tunnel != "" {
		fail(crosses(tunnel))
	}
	if (scenario == "link" || scenario == "all") && link != "" {
		fail(crosses(link))
	}
	if scenario == "host" || scenario == "all" {
		fail(crosses(HostKey(plans[0].Host)))
	}
	o := &Overlay{Caption: fmt.Sprintf("lab %s, check of 2026-12-06 15:26:50 UTC: %s", topo.Name, scenario), Health: map[string]Health{}}
	for _, r := range rs {
		for _, k := range r.keys {
			h := o.Health[k]
			h.Add(r.ok, r.line)
			o.Health[k] = h
		}
	}
	return topo, o, rs
}

func firstNet(nets []string) string {
	if len(nets) == 0 {
		return ""
	}
	return nets[0]
}
