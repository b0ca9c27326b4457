package ovs

import (
	"context"
	"fmt"

	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// Sync waits until ovs-vswitchd has acted on every change committed so
// far, as ovs-vsctl does after a change (--wait=vswitchd): it increments
// Open_vSwitch.next_cfg and waits for vswitchd to copy it to cur_cfg.
// Callers need it when two changes must not be folded into one
// reconfiguration, e.g. removing a port and adding back one of the same
// name on a device that was made anew: vswitchd matches ports by name and
// would keep using the old, dead device.
func (c *Client) Sync(ctx context.Context) error {
	// The root row alone: a snapshot would copy every port of the host.
	var roots []*vswitchd.OpenvSwitch
	if err := c.ovs.List(ctx, &roots); err != nil {
		return fmt.Errorf("read OVSDB cache of %s: %w", c.endpoint, err)
	}
	if len(roots) == 0 {
		return fmt.Errorf("OVSDB at %s has no Open_vSwitch row yet; start the daemons with ovslab or run `ovs-vsctl init`", c.endpoint)
	}
	want := roots[0].NextCfg + 1
	root := &vswitchd.OpenvSwitch{UUID: roots[0].UUID}
	ops, err := c.ovs.Where(root).Mutate(root, model.Mutation{Field: &root.NextCfg, Mutator: ovsdb.MutateOperationAdd, Value: 1})
	if err != nil {
		return fmt.Errorf("Open_vSwitch next_cfg: %w", err)
	}
	if err := c.transact(ctx, ops); err != nil {
		return err
	}
	ctx, cancel := withDefaultTimeout(ctx, cacheSyncTimeout)
	defer cancel()
	cur := 0
	return poll(ctx, func() (bool, error) {
		r := &vswitchd.OpenvSwitch{UUID: root.UUID}
		if err := c.ovs.Get(ctx, r); err != nil {
			return false, fmt.Errorf("Open_vSwitch row: %w", err)
		}
		cur = r.CurCfg
		return r.CurCfg >= want, nil
	}, func() error {
		return fmt.Errorf("ovs-vswitchd did not apply OVSDB change %d (it is at %d); is ovs-vswitchd running for %s?", want, cur, c.endpoint)
	})
}
