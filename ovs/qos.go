package ovs

import (
	"fmt"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// qosNoop is the QoS type with which OVS leaves a port's qdiscs as it
// finds them.
const qosNoop = "linux-noop"

// labNoopQoS is the lab's one linux-noop QoS row in s, or nil. QoS is a
// root table (rows outlive their last reference), so every port that
// needs one shares this row and DeleteLab removes it.
func (s *snapshot) labNoopQoS(lab string) *vswitchd.QoS {
	for _, q := range s.qos {
		if q.Type == qosNoop && ownedBy(q.ExternalIDs, lab) {
			return q
		}
	}
	return nil
}

// noopQoS returns the UUID of the lab's linux-noop QoS row, creating it in
// this transaction the first time a port needs it.
func (p *planner) noopQoS() (string, error) {
	if q := p.s.labNoopQoS(p.lab); q != nil {
		return q.UUID, nil
	}
	if p.newQoS != "" {
		return p.newQoS, nil
	}
	q := &vswitchd.QoS{UUID: p.newName("qos"), Type: qosNoop, ExternalIDs: labMark(p.lab)}
	if err := p.add(p.c.ovs.Create(q)); err != nil {
		return "", fmt.Errorf("QoS %s: %w", qosNoop, err)
	}
	p.newQoS = q.UUID
	return q.UUID, nil
}

// qosField sets port.QOS to what want needs and returns the field to
// update, or nil when the port already has it. Only the lab's own QoS row
// is ever taken off a port.
func (p *planner) qosField(have *vswitchd.Port, want Port, port *vswitchd.Port) (any, error) {
	ours := p.s.labNoopQoS(p.lab)
	switch {
	case want.KeepQdisc:
		uuid, err := p.noopQoS()
		if err != nil {
			return nil, err
		}
		if have.QOS != nil && *have.QOS == uuid {
			return nil, nil
		}
		port.QOS = &uuid
		return &port.QOS, nil
	case have.QOS != nil && ours != nil && *have.QOS == ours.UUID:
		port.QOS = nil
		return &port.QOS, nil
	}
	return nil, nil
}

// deleteQoSOps removes the lab's QoS rows. OVSDB checks references
// before it collects the ports that go with their bridges, so the ports
// let go of the rows first, in the same transaction.
func (c *Client) deleteQoSOps(s *snapshot, lab string) ([]ovsdb.Operation, error) {
	var ops []ovsdb.Operation
	for _, q := range s.qos {
		if !ownedBy(q.ExternalIDs, lab) {
			continue
		}
		for _, p := range sortedByName(s.ports, func(p *vswitchd.Port) string { return p.Name }) {
			if p.QOS == nil || *p.QOS != q.UUID {
				continue
			}
			port := &vswitchd.Port{UUID: p.UUID}
			clear, err := c.ovs.Where(port).Update(port, &port.QOS)
			if err != nil {
				return nil, fmt.Errorf("port %q: %w", p.Name, err)
			}
			ops = append(ops, clear...)
		}
		del, err := c.ovs.Where(&vswitchd.QoS{UUID: q.UUID}).Delete()
		if err != nil {
			return nil, fmt.Errorf("QoS %s: %w", q.UUID, err)
		}
		ops = append(ops, del...)
	}
	return ops, nil
}
