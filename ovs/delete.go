package ovs

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// DeleteLab removes every bridge, port and interface marked for lab, and
// the lab's ports on bridges it does not own, in one transaction. Unmarked
// rows stay, except ports someone added by hand to one of the lab's
// bridges: they go with the bridge, as with `ovs-vsctl del-br`. Deleting a
// lab that has nothing left is a no-op.
func (c *Client) DeleteLab(ctx context.Context, lab string) error {
	if lab == "" {
		return errors.New("ovs: empty lab name")
	}
	if err := c.catchUp(ctx); err != nil {
		return err
	}
	ops, err := c.deleteOps(ctx, lab)
	if err != nil || len(ops) == 0 {
		return err
	}
	if err := c.transact(ctx, ops); err != nil {
		return fmt.Errorf("delete lab %s: %w", lab, err)
	}
	return c.waitSynced(ctx, "delete lab "+lab, func() (int, error) {
		ops, err := c.deleteOps(ctx, lab)
		return len(ops), err
	})
}

// deleteOps finds the lab's rows through the external_ids client index.
// Rows are deleted by dropping their last reference (Open_vSwitch.bridges,
// Bridge.ports): OVSDB garbage-collects the non-root rows that hang off
// them, and deleting a still-referenced row would fail the transaction.
func (c *Client) deleteOps(ctx context.Context, lab string) ([]ovsdb.Operation, error) {
	var roots []*vswitchd.OpenvSwitch
	var bridges []*vswitchd.Bridge
	var ports []*vswitchd.Port
	if err := c.ovs.List(ctx, &roots); err != nil {
		return nil, err
	}
	if err := c.ovs.Where(&vswitchd.Bridge{ExternalIDs: labMark(lab)}).List(ctx, &bridges); err != nil {
		return nil, err
	}
	if err := c.ovs.Where(&vswitchd.Port{ExternalIDs: labMark(lab)}).List(ctx, &ports); err != nil {
		return nil, err
	}
	var ops []ovsdb.Operation
	if len(bridges) > 0 && len(roots) > 0 {
		var uuids []string
		for _, b := range bridges {
			uuids = append(uuids, b.UUID)
		}
		slices.Sort(uuids)
		root := &vswitchd.OpenvSwitch{UUID: roots[0].UUID}
		rootOps, err := c.ovs.Where(root).Mutate(root, model.Mutation{
			Field: &root.Bridges, Mutator: ovsdb.MutateOperationDelete, Value: uuids,
		})
		if err != nil {
			return nil, fmt.Errorf("Open_vSwitch bridges: %w", err)
		}
		ops = append(ops, rootOps...)
	}
	for _, p := range ports {
		var holders []*vswitchd.Bridge
		err := c.ovs.WhereCache(func(b *vswitchd.Bridge) bool {
			return !ownedBy(b.ExternalIDs, lab) && slices.Contains(b.Ports, p.UUID)
		}).List(ctx, &holders)
		if err != nil {
			return nil, err
		}
		for _, b := range holders {
			br := &vswitchd.Bridge{UUID: b.UUID}
			detach, err := c.ovs.Where(br).Mutate(br, model.Mutation{
				Field: &br.Ports, Mutator: ovsdb.MutateOperationDelete, Value: []string{p.UUID},
			})
			if err != nil {
				return nil, fmt.Errorf("port %q on bridge %q: %w", p.Name, b.Name, err)
			}
			ops = append(ops, detach...)
		}
	}
	s, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	qos, err := c.deleteQoSOps(s, lab)
	if err != nil {
		return nil, err
	}
	return append(ops, qos...), nil
}
