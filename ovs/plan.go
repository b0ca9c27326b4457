package ovs

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// planner accumulates the operations of one transaction. Rows it creates
// are referenced by named UUIDs, which must match [A-Za-z_][A-Za-z0-9_]*:
// the real ovsdb-server rejects dashes (the in-memory one does not), so they
// are numbered rather than derived from bridge or port names.
type planner struct {
	c     *Client
	lab   string
	s     *snapshot
	ops   []ovsdb.Operation
	named int
	// newQoS is the named UUID of the lab's QoS row when this transaction
	// creates it.
	newQoS string
	// notes say what the operations change, for Client.Changed once
	// they are committed: the object and what happens to it.
	notes [][2]string
}

// note records a change the operations make to object.
func (p *planner) note(object, format string, args ...any) {
	p.notes = append(p.notes, [2]string{object, fmt.Sprintf(format, args...)})
}

func (p *planner) newName(prefix string) string {
	p.named++
	return fmt.Sprintf("%s%d", prefix, p.named)
}

func (p *planner) add(ops []ovsdb.Operation, err error) error {
	if err != nil {
		return err
	}
	p.ops = append(p.ops, ops...)
	return nil
}

// applyOps returns the operations that take the snapshot to the lab's
// wanted bridges; none when it already matches. Ownership must have been
// checked: applyOps changes whatever row carries a wanted name.
func (c *Client) applyOps(s *snapshot, lab string, bridges []Bridge) ([]ovsdb.Operation, error) {
	ops, _, err := c.plan(s, lab, bridges)
	return ops, err
}

// plan is applyOps with notes on what the operations change.
func (c *Client) plan(s *snapshot, lab string, bridges []Bridge) ([]ovsdb.Operation, [][2]string, error) {
	p := &planner{c: c, lab: lab, s: s}
	wantBridge := map[string]bool{}
	wantPort := map[string]bool{}
	detach := map[string][]string{} // bridge UUID -> port UUIDs to drop from it

	for _, b := range bridges {
		wantBridge[b.Name] = true
		cur := s.bridgeName[b.Name]
		var attach []string
		for _, want := range withLocalPort(b) {
			wantPort[want.Name] = true
			have := s.portName[want.Name]
			if have == nil {
				if !want.Recreated && want.Name != b.Name {
					p.note("port "+want.Name, "added to %s", b.Name)
				}
				uuid, err := p.createPort(want)
				if err != nil {
					return nil, nil, err
				}
				attach = append(attach, uuid)
				continue
			}
			if err := p.updatePort(have, want); err != nil {
				return nil, nil, err
			}
			// A port on the wrong bridge is moved, keeping its rows.
			if from := s.portBridge[have.UUID]; from == nil || cur == nil || from.UUID != cur.UUID {
				if from != nil {
					detach[from.UUID] = append(detach[from.UUID], have.UUID)
				}
				p.note("port "+want.Name, "moved to %s", b.Name)
				attach = append(attach, have.UUID)
			}
		}
		if err := p.bridgeOps(cur, b, attach); err != nil {
			return nil, nil, err
		}
	}

	var dropBridges []string
	for _, b := range sortedByName(s.bridges, func(b *vswitchd.Bridge) string { return b.Name }) {
		if ownedBy(b.ExternalIDs, lab) && !wantBridge[b.Name] {
			dropBridges = append(dropBridges, b.UUID)
			p.note("bridge "+b.Name, "removed")
		}
	}
	for _, port := range sortedByName(s.ports, func(p *vswitchd.Port) string { return p.Name }) {
		from := s.portBridge[port.UUID]
		if ownedBy(port.ExternalIDs, lab) && !wantPort[port.Name] && from != nil &&
			!slices.Contains(dropBridges, from.UUID) {
			detach[from.UUID] = append(detach[from.UUID], port.UUID)
			p.note("port "+port.Name, "removed")
		}
	}
	for _, bu := range slices.Sorted(maps.Keys(detach)) {
		br := &vswitchd.Bridge{UUID: bu}
		if err := p.add(c.ovs.Where(br).Mutate(br, model.Mutation{
			Field: &br.Ports, Mutator: ovsdb.MutateOperationDelete, Value: detach[bu],
		})); err != nil {
			return nil, nil, fmt.Errorf("detach ports from bridge %q: %w", s.bridges[bu].Name, err)
		}
	}
	// A bridge row goes away with its last reference, and its ports and
	// interfaces with it: nothing else refers to them.
	if len(dropBridges) > 0 {
		if err := p.mutateRoot(ovsdb.MutateOperationDelete, dropBridges); err != nil {
			return nil, nil, err
		}
	}
	return p.ops, p.notes, nil
}

// bridgeOps creates bridge b with the ports in attach, or brings the
// existing row cur up to date and attaches the ports to it.
func (p *planner) bridgeOps(cur *vswitchd.Bridge, b Bridge, attach []string) error {
	if cur == nil {
		p.note("bridge "+b.Name, "created")
		br := &vswitchd.Bridge{
			UUID:         p.newName("bridge"),
			Name:         b.Name,
			DatapathType: b.Datapath,
			ExternalIDs:  labMark(p.lab),
			Ports:        attach,
		}
		if err := p.add(p.c.ovs.Create(br)); err != nil {
			return fmt.Errorf("bridge %q: %w", b.Name, err)
		}
		return p.mutateRoot(ovsdb.MutateOperationInsert, []string{br.UUID})
	}
	if cur.DatapathType != b.Datapath {
		p.note("bridge "+b.Name, "datapath %q→%q", cur.DatapathType, b.Datapath)
		br := &vswitchd.Bridge{UUID: cur.UUID, DatapathType: b.Datapath}
		if err := p.add(p.c.ovs.Where(br).Update(br, &br.DatapathType)); err != nil {
			return fmt.Errorf("bridge %q: %w", b.Name, err)
		}
	}
	if len(attach) > 0 {
		br := &vswitchd.Bridge{UUID: cur.UUID}
		if err := p.add(p.c.ovs.Where(br).Mutate(br, model.Mutation{
			Field: &br.Ports, Mutator: ovsdb.MutateOperationInsert, Value: attach,
		})); err != nil {
			return fmt.Errorf("bridge %q: %w", b.Name, err)
		}
	}
	return nil
}

// mutateRoot inserts or deletes bridge references in the Open_vSwitch row,
// which is what makes vswitchd create or destroy the bridges.
func (p *planner) mutateRoot(op ovsdb.Mutator, bridgeUUIDs []string) error {
	if p.s.root == nil {
		return fmt.Errorf("OVSDB at %s has no Open_vSwitch row yet; start the daemons with ovslab or run `ovs-vsctl init`", p.c.endpoint)
	}
	root := &vswitchd.OpenvSwitch{UUID: p.s.root.UUID}
	if err := p.add(p.c.ovs.Where(root).Mutate(root, model.Mutation{
		Field: &root.Bridges, Mutator: op, Value: bridgeUUIDs,
	})); err != nil {
		return fmt.Errorf("Open_vSwitch bridges: %w", err)
	}
	return nil
}

// sortedByName returns the map's rows ordered by name, so plans (and the
// transactions a reader sees in the OVSDB log) are deterministic.
func sortedByName[T any](rows map[string]*T, name func(*T) string) []*T {
	out := slices.Collect(maps.Values(rows))
	slices.SortFunc(out, func(a, b *T) int {
		switch na, nb := name(a), name(b); {
		case na < nb:
			return -1
		case na > nb:
			return 1
		}
		return 0
	})
	return out
}
