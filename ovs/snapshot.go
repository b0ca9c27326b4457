package ovs

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// snapshot is a copy of the cached rows Apply, DeleteLab and Status plan
// from, indexed the ways they look rows up. Planning from one copy keeps a
// plan consistent even while monitor updates keep arriving.
type snapshot struct {
	root       *vswitchd.OpenvSwitch // nil before `ovs-vsctl init` (or StartDaemons)
	bridges    map[string]*vswitchd.Bridge
	ports      map[string]*vswitchd.Port
	ifaces     map[string]*vswitchd.Interface
	bridgeName map[string]*vswitchd.Bridge
	portName   map[string]*vswitchd.Port
	ifaceName  map[string]*vswitchd.Interface
	portBridge map[string]*vswitchd.Bridge // port UUID -> bridge holding it
	qos        []*vswitchd.QoS
}

func (c *Client) snapshot(ctx context.Context) (*snapshot, error) {
	var roots []*vswitchd.OpenvSwitch
	var bridges []*vswitchd.Bridge
	var ports []*vswitchd.Port
	var ifaces []*vswitchd.Interface
	var qos []*vswitchd.QoS
	for _, list := range []any{&roots, &bridges, &ports, &ifaces, &qos} {
		if err := c.ovs.List(ctx, list); err != nil {
			return nil, fmt.Errorf("read OVSDB cache of %s: %w", c.endpoint, err)
		}
	}
	s := &snapshot{
		bridges:    make(map[string]*vswitchd.Bridge, len(bridges)),
		ports:      make(map[string]*vswitchd.Port, len(ports)),
		ifaces:     make(map[string]*vswitchd.Interface, len(ifaces)),
		bridgeName: make(map[string]*vswitchd.Bridge, len(bridges)),
		portName:   make(map[string]*vswitchd.Port, len(ports)),
		ifaceName:  make(map[string]*vswitchd.Interface, len(ifaces)),
		portBridge: make(map[string]*vswitchd.Bridge, len(ports)),
		qos:        qos,
	}
	if len(roots) > 0 {
		s.root = roots[0]
	}
	for _, b := range bridges {
		s.bridges[b.UUID] = b
		s.bridgeName[b.Name] = b
		for _, p := range b.Ports {
			s.portBridge[p] = b
		}
	}
	for _, p := range ports {
		s.ports[p.UUID] = p
		s.portName[p.Name] = p
	}
	for _, i := range ifaces {
		s.ifaces[i.UUID] = i
		s.ifaceName[i.Name] = i
	}
	return s, nil
}

// catchUp returns once the cache holds every change committed before the
// call, by any client. ovsdb-server sends a session its pending monitor
// updates before it reads the session's next request, and libovsdb applies
// updates in the order they arrive, before it reads the reply to a later
// request: one echo round trip is the barrier. Without it a plan made right
// after another client's write (ovs-vsctl, ovs-docker) could miss it.
func (c *Client) catchUp(ctx context.Context) error {
	err := c.call(ctx, "an echo", c.ovs.Echo)
	if err != nil && !errors.Is(err, ErrNoAnswer) {
		return fmt.Errorf("OVSDB at %s: %w", c.endpoint, err)
	}
	return err
}

// portIface returns the interface of port p named like the port, which is
// the one ovslab creates and manages (ovslab never makes bonds).
func (s *snapshot) portIface(p *vswitchd.Port) *vswitchd.Interface {
	for _, u := range p.Interfaces {
		if i := s.ifaces[u]; i != nil && i.Name == p.Name {
			return i
		}
	}
	return nil
}
