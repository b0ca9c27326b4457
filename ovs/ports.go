package ovs

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// createPort is the one place a port is made: an Interface and a Port, both
// marked for the lab, returning the Port's named UUID for the caller to
// attach to a bridge in the same transaction. Local, internal, tunnel and
// veth ports all come through here so they cannot differ in how they are
// built or marked.
func (p *planner) createPort(want Port) (string, error) {
	iface := p.newIface(want)
	port := &vswitchd.Port{
		UUID:        p.newName("port"),
		Name:        want.Name,
		Interfaces:  []string{iface.UUID},
		Protected:   want.Protected,
		Tag:         tagColumn(want.Tag),
		Trunks:      want.Trunks,
		ExternalIDs: labMark(p.lab),
	}
	if want.KeepQdisc {
		qos, err := p.noopQoS()
		if err != nil {
			return "", err
		}
		port.QOS = &qos
	}
	if err := p.add(p.c.ovs.Create(iface, port)); err != nil {
		return "", fmt.Errorf("port %q: %w", want.Name, err)
	}
	return port.UUID, nil
}

// newIface is a new, lab-marked Interface row for want, named for this
// transaction.
func (p *planner) newIface(want Port) *vswitchd.Interface {
	return &vswitchd.Interface{
		UUID:        p.newName("iface"),
		Name:        want.Name,
		Type:        want.Type,
		Options:     want.Options,
		MTURequest:  mtuRequest(want.MTU),
		ExternalIDs: withExternalIDs(labMark(p.lab), want.ExternalIDs),
	}
}

// updatePort rewrites the columns of an existing port and its interface
// that differ from want. Updates always name their fields: an Update
// without them writes every column, including the ones vswitchd owns.
func (p *planner) updatePort(have *vswitchd.Port, want Port) error {
	port := &vswitchd.Port{UUID: have.UUID, Protected: want.Protected, Tag: tagColumn(want.Tag), Trunks: want.Trunks}
	var portFields []any
	if have.Protected != want.Protected {
		portFields = append(portFields, &port.Protected)
		p.note("port "+want.Name, "protected %v→%v", have.Protected, want.Protected)
	}
	// A tag set by hand (ovs-docker set-vlan) is drift like any other:
	// the file says which VLAN a port is in, untagged when it names none.
	if !equalTag(have.Tag, want.Tag) {
		portFields = append(portFields, &port.Tag)
		p.note("port "+want.Name, "tag %s→%s", tagWords(intOf(have.Tag)), tagWords(want.Tag))
	}
	if !equalSet(have.Trunks, want.Trunks) {
		p.note("port "+want.Name, "trunks %v→%v", have.Trunks, want.Trunks)
		if port.Trunks == nil {
			port.Trunks = []int{} // clears the column
		}
		portFields = append(portFields, &port.Trunks)
	}
	if f, err := p.qosField(have, want, port); err != nil {
		return err
	} else if f != nil {
		portFields = append(portFields, f)
		p.note("port "+want.Name, "QoS set")
	}
	if len(portFields) > 0 {
		if err := p.add(p.c.ovs.Where(port).Update(port, portFields...)); err != nil {
			return fmt.Errorf("port %q: %w", want.Name, err)
		}
	}
	cur := p.s.portIface(have)
	if cur == nil {
		// The port lost its interface (edited by hand): give it a new one.
		p.note("port "+want.Name, "interface re-made")
		iface := p.newIface(want)
		port := &vswitchd.Port{UUID: have.UUID, Interfaces: []string{iface.UUID}}
		if err := p.add(p.c.ovs.Create(iface)); err != nil {
			return fmt.Errorf("interface %q: %w", want.Name, err)
		}
		if err := p.add(p.c.ovs.Where(port).Update(port, &port.Interfaces)); err != nil {
			return fmt.Errorf("port %q: %w", want.Name, err)
		}
		return nil
	}
	iface := &vswitchd.Interface{
		UUID:        cur.UUID,
		Type:        want.Type,
		Options:     want.Options,
		MTURequest:  mtuRequest(want.MTU),
		ExternalIDs: withExternalIDs(cur.ExternalIDs, want.ExternalIDs),
	}
	var fields []any
	if cur.Type != want.Type {
		fields = append(fields, &iface.Type)
		p.note("port "+want.Name, "type %q→%q", cur.Type, want.Type)
	}
	if !equalOptions(cur.Options, want.Options) {
		if iface.Options == nil {
			iface.Options = map[string]string{} // clears the column
		}
		fields = append(fields, &iface.Options)
		p.note("port "+want.Name, "options %v→%v", cur.Options, want.Options)
	}
	if intOf(cur.MTURequest) != want.MTU {
		fields = append(fields, &iface.MTURequest)
		// Worded like the kernel's MTU, which it is on an internal
		// port: the same change on a link and its port reads once.
		p.note(want.Name, "mtu %d→%d", intOf(cur.MTURequest), want.MTU)
	}
	// Keys of others (a user's, a tool's) stay; ours are set again.
	if !maps.Equal(cur.ExternalIDs, iface.ExternalIDs) {
		fields = append(fields, &iface.ExternalIDs)
		p.note("port "+want.Name, "external_ids set")
	}
	if len(fields) == 0 {
		return nil
	}
	if err := p.add(p.c.ovs.Where(iface).Update(iface, fields...)); err != nil {
		return fmt.Errorf("interface %q: %w", want.Name, err)
	}
	return nil
}

// withExternalIDs returns a copy of base with extra's keys set.
func withExternalIDs(base, extra map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, extra)
	return out
}

// ContainerExternalIDs are the Interface external_ids ovs-docker (shipped
// with Open vSwitch) finds a container's port by: its set-vlan, del-port
// and del-ports commands then work on a port ovslab made. container is the
// Docker container's name, iface the interface's name inside it.
func ContainerExternalIDs(container, iface string) map[string]string {
	return map[string]string{"container_id": container, "container_iface": iface}
}

// equalTag compares a tag column with a wanted tag. An empty column and
// tag=0 differ in OVS (0 makes an access port, empty a trunk), so 0 wants
// the column empty.
func equalTag(have *int, want int) bool {
	if have == nil || want == 0 {
		return have == nil && want == 0
	}
	return *have == want
}

// tagWords is a tag for a person: its number, or "untagged".
func tagWords(tag int) string {
	if tag == 0 {
		return "untagged"
	}
	return fmt.Sprint(tag)
}

// tagColumn maps 0 (untagged) to an empty tag column.
func tagColumn(tag int) *int {
	if tag == 0 {
		return nil
	}
	return &tag
}

// mtuRequest maps 0 to an empty mtu_request, which lets OVS pick the MTU.
func mtuRequest(mtu int) *int {
	if mtu == 0 {
		return nil
	}
	return &mtu
}

// intOf reads an optional integer column, empty meaning 0.
func intOf(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// equalOptions treats a nil and an empty map alike: OVSDB stores both as an
// empty map.
func equalOptions(a, b map[string]string) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	return maps.Equal(a, b)
}

// equalSet compares two OVSDB integer sets, which come back in any order.
func equalSet(a, b []int) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}
