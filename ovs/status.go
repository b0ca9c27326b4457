package ovs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/ovn-org/libovsdb/client"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// BridgeStatus is one bridge of a lab as OVSDB and vswitchd report it.
type BridgeStatus struct {
	Name     string `json:"name"`
	Datapath string `json:"datapath"`
	// Owned is false for a bridge the lab did not create but put ports on;
	// only the lab's ports of such a bridge are listed.
	Owned bool         `json:"owned"`
	Ports []PortStatus `json:"ports"`
}

// PortStatus is one port with the state of its like-named interface.
type PortStatus struct {
	Name      string            `json:"name"`
	Local     bool              `json:"local,omitempty"` // the bridge's own internal port
	Owned     bool              `json:"owned"`
	Protected bool              `json:"protected,omitempty"`
	Tag       int               `json:"tag,omitempty"`    // access VLAN, 0 = none
	Trunks    []int             `json:"trunks,omitempty"` // VLANs of an untagged port, empty = all
	Type      string            `json:"type"`
	Options   map[string]string `json:"options,omitempty"`
	// OFPort is the OpenFlow port number: 0 while vswitchd has not opened
	// the interface yet, -1 when it failed (see Error).
	OFPort     int    `json:"ofport"`
	LinkState  string `json:"link_state,omitempty"`
	AdminState string `json:"admin_state,omitempty"`
	Error      string `json:"error,omitempty"` // e.g. "could not open network device vdoc1 (No such device)"
	MTU        int    `json:"mtu,omitempty"`
	MTURequest int    `json:"mtu_request,omitempty"`
}

// Status lists the lab's bridges, and bridges holding the lab's ports,
// sorted by name, each with its ports sorted by name.
func (c *Client) Status(ctx context.Context, lab string) ([]BridgeStatus, error) {
	if err := c.catchUp(ctx); err != nil {
		return nil, err
	}
	s, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var out []BridgeStatus
	for _, b := range sortedByName(s.bridges, func(b *vswitchd.Bridge) string { return b.Name }) {
		bs := BridgeStatus{Name: b.Name, Datapath: b.DatapathType, Owned: ownedBy(b.ExternalIDs, lab)}
		for _, pu := range b.Ports {
			p := s.ports[pu]
			if p == nil || (!bs.Owned && !ownedBy(p.ExternalIDs, lab)) {
				continue
			}
			bs.Ports = append(bs.Ports, portStatus(s, b, p, lab))
		}
		if !bs.Owned && len(bs.Ports) == 0 {
			continue
		}
		slices.SortFunc(bs.Ports, func(a, b PortStatus) int { return strings.Compare(a.Name, b.Name) })
		out = append(out, bs)
	}
	return out, nil
}

func portStatus(s *snapshot, b *vswitchd.Bridge, p *vswitchd.Port, lab string) PortStatus {
	ps := PortStatus{
		Name:      p.Name,
		Local:     p.Name == b.Name,
		Owned:     ownedBy(p.ExternalIDs, lab),
		Protected: p.Protected,
		Tag:       intOf(p.Tag),
		Trunks:    slices.Sorted(slices.Values(p.Trunks)),
	}
	i := s.portIface(p)
	if i == nil {
		ps.Error = "port has no interface named " + p.Name
		return ps
	}
	ps.Type = i.Type
	if len(i.Options) > 0 {
		ps.Options = maps.Clone(i.Options)
	}
	ps.OFPort = intOf(i.Ofport)
	ps.MTU = intOf(i.MTU)
	ps.MTURequest = intOf(i.MTURequest)
	if i.LinkState != nil {
		ps.LinkState = *i.LinkState
	}
	if i.AdminState != nil {
		ps.AdminState = *i.AdminState
	}
	if i.Error != nil {
		ps.Error = *i.Error
	}
	return ps
}

// waitInterfaceTimeout bounds WaitInterface when ctx has no deadline.
const waitInterfaceTimeout = 30 * time.Second

// WaitInterface polls until vswitchd has opened the named interface
// (ofport > 0), e.g. before the caller configures the kernel side of an
// internal port, which exists only from then on. When vswitchd reports a
// failure in Interface.error, that is returned as the error.
func (c *Client) WaitInterface(ctx context.Context, name string) error {
	ctx, cancel := withDefaultTimeout(ctx, waitInterfaceTimeout)
	defer cancel()
	last := "no such interface in OVSDB"
	return poll(ctx, func() (bool, error) {
		i := &vswitchd.Interface{Name: name}
		switch err := c.ovs.Get(ctx, i); {
		case errors.Is(err, client.ErrNotFound):
			return false, nil
		case err != nil:
			return false, fmt.Errorf("interface %q: %w", name, err)
		}
		if i.Error != nil && *i.Error != "" {
			return false, fmt.Errorf("interface %q: ovs-vswitchd: %s", name, *i.Error)
		}
		last = fmt.Sprintf("ofport %d", intOf(i.Ofport))
		return intOf(i.Ofport) > 0, nil
	}, func() error {
		return fmt.Errorf("interface %q not opened by ovs-vswitchd (%s); is ovs-vswitchd running for %s?", name, last, c.endpoint)
	})
}
