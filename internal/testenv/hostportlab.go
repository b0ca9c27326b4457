package testenv

// HostPortsLab is the topology file of a lab named name whose only
// stations are the hosts themselves (a gateway on host1, host ports on
// host2 and host3), on a 1500-byte underlay: too few for a 1500-byte
// packet in VXLAN, which only a probe between the hosts can find.
func HostPortsLab(name string) string {
	return `name: ` + name + `
hosts:
  host1: {underlay: 172.16.10.100/24, gateway: 172.16.10.1}
  host2: {underlay: 172.16.20.100/24, gateway: 172.16.20.1}
  host3: {underlay: 172.16.30.100/24, gateway: 172.16.30.1}
underlay: {mtu: 1500}
networks:
  net1:
    subnet: 10.0.1.0/24
    vni: 5000
    gateway: {host: host1}
    host_ports: {host2: 10.0.1.2, host3: 10.0.1.3}
`
}
