package ovs

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// A note is a key in the external_ids of one of the lab's interfaces: the
// OVSDB persists across reboots while /run does not, so a lab keeps there
// what it must still know after one (e.g. a NIC's MTU before the lab).

// SetInterfaceNote sets external_ids:key=value on the lab's interface name.
func (c *Client) SetInterfaceNote(ctx context.Context, lab, name, key, value string) error {
	i := &vswitchd.Interface{Name: name}
	if err := c.ovs.Get(ctx, i); err != nil {
		return fmt.Errorf("interface %q: %w", name, err)
	}
	if !ownedBy(i.ExternalIDs, lab) {
		return fmt.Errorf("interface %q: %w", name, ErrNotOwned)
	}
	if i.ExternalIDs[key] == value {
		return nil
	}
	row := &vswitchd.Interface{UUID: i.UUID}
	ops, err := c.ovs.Where(row).Mutate(row,
		model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationDelete, Value: []string{key}},
		model.Mutation{Field: &row.ExternalIDs, Mutator: ovsdb.MutateOperationInsert, Value: map[string]string{key: value}},
	)
	if err != nil {
		return fmt.Errorf("interface %q: %w", name, err)
	}
	if err := c.transact(ctx, ops); err != nil {
		return fmt.Errorf("interface %q: note %s: %w", name, key, err)
	}
	return nil
}

// InterfaceNote returns external_ids:key of the lab's interface name; ""
// when the interface, or the note, is not there.
func (c *Client) InterfaceNote(ctx context.Context, lab, name, key string) (string, error) {
	i := &vswitchd.Interface{Name: name}
	switch err := c.ovs.Get(ctx, i); {
	case errors.Is(err, client.ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("interface %q: %w", name, err)
	}
	if !ownedBy(i.ExternalIDs, lab) {
		return "", nil
	}
	return i.ExternalIDs[key], nil
}
