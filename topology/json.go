package topology

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
)

// interfacePlanJSON is InterfacePlan on the wire, field for field, with the
// MAC as text where net.HardwareAddr would come out as base64.
type interfacePlanJSON struct {
	Name         string       `json:"name"`
	Network      string       `json:"network"`
	Bridge       string       `json:"bridge"`
	HostVeth     string       `json:"host_veth"`
	Address      netip.Prefix `json:"address"`
	MAC          string       `json:"mac"`
	MTU          int          `json:"mtu"`
	VLAN         int          `json:"vlan,omitempty"`
	Impair       *Impair      `json:"impair,omitempty"`
	DefaultRoute netip.Addr   `json:"default_route,omitzero"`
}

// MarshalJSON writes MAC as text (02:42:0a:00:01:0a).
func (p InterfacePlan) MarshalJSON() ([]byte, error) {
	return json.Marshal(interfacePlanJSON{
		Name: p.Name, Network: p.Network, Bridge: p.Bridge, HostVeth: p.HostVeth,
		Address: p.Address, MAC: p.MAC.String(), MTU: p.MTU, VLAN: p.VLAN, Impair: p.Impair,
		DefaultRoute: p.DefaultRoute,
	})
}

// UnmarshalJSON reads what MarshalJSON writes, so plans survive a round trip
// through state files.
func (p *InterfacePlan) UnmarshalJSON(data []byte) error {
	var v interfacePlanJSON
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	var mac net.HardwareAddr
	if v.MAC != "" {
		var err error
		if mac, err = net.ParseMAC(v.MAC); err != nil {
			return fmt.Errorf("interface %q: %w", v.Name, err)
		}
	}
	*p = InterfacePlan{
		Name: v.Name, Network: v.Network, Bridge: v.Bridge, HostVeth: v.HostVeth,
		Address: v.Address, MAC: mac, MTU: v.MTU, VLAN: v.VLAN, Impair: v.Impair,
		DefaultRoute: v.DefaultRoute,
	}
	return nil
}

// MarshalJSON writes MAC as text rather than base64.
func (i Interface) MarshalJSON() ([]byte, error) {
	type plain Interface
	return json.Marshal(struct {
		plain
		MAC string
	}{plain(i), i.MAC.String()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (i *Interface) UnmarshalJSON(data []byte) error {
	type plain Interface
	var v struct {
		plain
		MAC string
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*i = Interface(v.plain)
	i.MAC = nil
	if v.MAC != "" {
		mac, err := net.ParseMAC(v.MAC)
		if err != nil {
			return fmt.Errorf("interface %q: %w", i.Name, err)
		}
		i.MAC = mac
	}
	return nil
}
