package ovs

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Bridge is one OVS bridge a lab wants, with the ports on it.
type Bridge struct {
	Name     string
	Datapath string // Bridge.datapath_type: "system", "netdev" or "" (OVS default, system)
	// Ports are the bridge's ports besides its own local internal port
	// (named like the bridge), which Apply always creates, as
	// `ovs-vsctl add-br` does: a bare Bridge row has none.
	Ports []Port
	// LocalMTU is mtu_request on the bridge's local internal port (0 =
	// none); br-phy needs it raised so VXLAN frames fit the underlay.
	LocalMTU int
}

// Port is one OVS port with its single, like-named interface.
type Port struct {
	Name    string
	Type    string            // Interface.type: "" (an existing device such as a veth), "internal", "vxlan"
	Options map[string]string // Interface.options, e.g. {"key": "5000", "remote_ip": "172.16.20.100"}
	// Protected sets Port.protected: OVS never forwards between two
	// protected ports, so a full VXLAN mesh cannot loop broadcasts.
	Protected bool
	MTU       int // Interface.mtu_request, 0 = none
	// Tag is Port.tag, the access VLAN: 0 means untagged, and Apply
	// removes a tag someone set by hand.
	Tag int
	// ExternalIDs are Interface.external_ids to set besides the lab's
	// mark (LabKey), e.g. ContainerExternalIDs; other keys found on the
	// interface are kept.
	ExternalIDs map[string]string
	// Trunks are the VLANs an untagged port carries (Port.trunks); empty
	// means all of them. [0] limits it to untagged frames, so a container
	// cannot reach a VLAN by sending tagged frames.
	Trunks []int
	// KeepQdisc tells OVS to leave the device's qdiscs alone (QoS type
	// linux-noop): by default OVS removes a root qdisc it did not make,
	// such as the one that impairs a link.
	KeepQdisc bool
	// Recreated says the device behind this port was made anew since the
	// port was last applied (a veth of a recreated container). It keeps
	// its name, and vswitchd matches ports by name, so it would keep
	// reading the dead device; Apply re-attaches such a port.
	Recreated bool
}

// ErrNotOwned is wrapped by errors about an existing bridge, port or
// interface that Apply would have to change but that the lab did not create.
var ErrNotOwned = errors.New("not owned by this lab")

// notOwnedError names the row in the way and how to clear it.
type notOwnedError struct {
	kind, name, lab, owner string
}

func (e *notOwnedError) Error() string {
	why := "it has no external_ids:" + LabKey + "; remove it or rename the lab's " + e.kind
	if e.owner != "" {
		why = fmt.Sprintf("it belongs to lab %s; take that lab down first", e.owner)
	}
	return fmt.Sprintf("%s %q exists and is not owned by lab %s (%s)", e.kind, e.name, e.lab, why)
}

func (e *notOwnedError) Unwrap() error { return ErrNotOwned }

// Apply converges the lab's OVS state to bridges in one transaction: it
// creates what is missing, rewrites the columns it manages where they
// drifted (datapath_type, type, options, protected, tag, mtu_request, the
// interface external_ids it sets), and
// removes the lab's ports and bridges that are no longer wanted. Removing a
// bridge removes every port on it, as `ovs-vsctl del-br` does.
//
// Ownership is checked before anything is written: an existing bridge, port
// or interface not marked for lab is an error wrapping ErrNotOwned. When
// the state already matches, Apply writes nothing, so repeating it keeps
// every row (and its UUID) as it is.
//
// Ports marked Recreated that exist are first removed in a transaction of
// their own, vswitchd is waited for (Sync), and then added back: folded
// into one transaction, vswitchd would see no change and keep the old
// device.
func (c *Client) Apply(ctx context.Context, lab string, bridges []Bridge) error {
	if err := c.detachRecreated(ctx, lab, bridges); err != nil {
		return err
	}
	return c.apply(ctx, lab, bridges)
}

func (c *Client) detachRecreated(ctx context.Context, lab string, bridges []Bridge) error {
	var names []string
	for _, b := range bridges {
		for _, p := range b.Ports {
			if p.Recreated {
				names = append(names, p.Name)
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	have, err := c.Status(ctx, lab)
	if err != nil {
		return err
	}
	var stale []string
	for _, b := range have {
		for _, p := range b.Ports {
			if slices.Contains(names, p.Name) {
				stale = append(stale, p.Name)
			}
		}
	}
	if len(stale) == 0 {
		return nil
	}
	without := slices.Clone(bridges)
	for i, b := range without {
		without[i].Ports = slices.DeleteFunc(slices.Clone(b.Ports), func(p Port) bool { return slices.Contains(stale, p.Name) })
	}
	// Taking a re-made device's port off is half of re-attaching it,
	// which is the news of the container it belongs to.
	changed := c.Changed
	c.Changed = nil
	err = c.apply(ctx, lab, without)
	c.Changed = changed
	if err != nil {
		return err
	}
	return c.Sync(ctx)
}

func (c *Client) apply(ctx context.Context, lab string, bridges []Bridge) error {
	s, err := c.check(ctx, lab, bridges)
	if err != nil {
		return err
	}
	ops, notes, err := c.plan(s, lab, bridges)
	if err != nil || len(ops) == 0 {
		return err
	}
	if err := c.transact(ctx, ops); err != nil {
		return fmt.Errorf("apply lab %s: %w", lab, err)
	}
	if c.Changed != nil {
		for _, n := range notes {
			c.Changed(n[0], n[1])
		}
	}
	// Converged means a fresh plan from the cache is empty.
	return c.waitSynced(ctx, "apply lab "+lab, func() (int, error) {
		s, err := c.snapshot(ctx)
		if err != nil {
			return 0, err
		}
		ops, err := c.applyOps(s, lab, bridges)
		return len(ops), err
	})
}

// validate rejects input OVSDB would reject halfway, or that Apply could
// not converge to: every bridge and port name must be unique across the
// lab, because OVS port names are global and each bridge has a port named
// like itself.
func validate(lab string, bridges []Bridge) error {
	if lab == "" {
		return errors.New("ovs: empty lab name")
	}
	seen := map[string]string{}
	claim := func(name, what string) error {
		if name == "" {
			return fmt.Errorf("ovs: %s with an empty name", what)
		}
		if prev, ok := seen[name]; ok {
			return fmt.Errorf("ovs: %s %q clashes with %s of the same name (OVS port names are global)", what, name, prev)
		}
		seen[name] = what
		return nil
	}
	for _, b := range bridges {
		if err := claim(b.Name, "bridge"); err != nil {
			return err
		}
		for _, p := range b.Ports {
			if err := claim(p.Name, fmt.Sprintf("port on bridge %q", b.Name)); err != nil {
				return err
			}
			if p.Tag < 0 || p.Tag > 4095 {
				return fmt.Errorf("ovs: port %q: tag %d is not a VLAN ID (0 = untagged, 1..4095)", p.Name, p.Tag)
			}
			if _, ok := p.ExternalIDs[LabKey]; ok {
				return fmt.Errorf("ovs: port %q: external_ids:%s is the lab's own mark, not the caller's to set", p.Name, LabKey)
			}
		}
	}
	return nil
}

// checkOwnership returns every wanted name that is taken by a row the lab
// does not own, so one run reports all of them.
func checkOwnership(s *snapshot, lab string, bridges []Bridge) error {
	var errs []error
	deny := func(kind, name string, ext map[string]string) {
		errs = append(errs, &notOwnedError{kind: kind, name: name, lab: lab, owner: ext[LabKey]})
	}
	for _, b := range bridges {
		ports := withLocalPort(b)
		if cur := s.bridgeName[b.Name]; cur != nil && !ownedBy(cur.ExternalIDs, lab) {
			deny("bridge", b.Name, cur.ExternalIDs)
			ports = ports[1:] // its local port is the same clash
		}
		for _, p := range ports {
			if cur := s.portName[p.Name]; cur != nil && !ownedBy(cur.ExternalIDs, lab) {
				deny("port", p.Name, cur.ExternalIDs)
				continue
			}
			if cur := s.ifaceName[p.Name]; cur != nil && !ownedBy(cur.ExternalIDs, lab) {
				deny("interface", p.Name, cur.ExternalIDs)
			}
		}
	}
	return errors.Join(errs...)
}

// withLocalPort returns b's ports preceded by its local internal port.
func withLocalPort(b Bridge) []Port {
	local := Port{Name: b.Name, Type: "internal", MTU: b.LocalMTU}
	return append([]Port{local}, b.Ports...)
}

// Check reports, without writing anything, whether Apply could converge:
// the same input validation and ownership checks Apply makes first. Callers
// run it before changing anything else on the machine, so a clash leaves
// the machine as it was.
func (c *Client) Check(ctx context.Context, lab string, bridges []Bridge) error {
	_, err := c.check(ctx, lab, bridges)
	return err
}

// check validates the input and ownership against a fresh snapshot, which
// it returns for Apply to plan from.
func (c *Client) check(ctx context.Context, lab string, bridges []Bridge) (*snapshot, error) {
	if err := validate(lab, bridges); err != nil {
		return nil, err
	}
	if err := c.catchUp(ctx); err != nil {
		return nil, err
	}
	s, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return s, checkOwnership(s, lab, bridges)
}
