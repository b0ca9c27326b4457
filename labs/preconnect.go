package labs

import (
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/ovslab/ovslab/ovs"
)

// preconnected are OVSDB clients of a lab's emulated hosts, connected
// while up is still reading Docker: a client's first act, the monitor
// that reads every bridge, port and interface, took a no-op up of a
// thousand containers as long as Docker's list. Connecting changes
// nothing, so it may start before up's checks have passed.
type preconnected map[string]*pendingClient

type pendingClient struct {
	once  sync.Once
	c     chan *ovs.Client
	oc    *ovs.Client
	taken bool
}

// preconnect starts connecting to the OVSDB of each host of lab whose
// daemons left a socket; a host without one is connected to later.
func preconnect(ctx context.Context, lab string, hosts []string) preconnected {
	p := preconnected{}
	for _, h := range hosts {
		runDir := HostRunDir(lab, h)
		if _, err := os.Stat(filepath.Join(runDir, "db.sock")); err != nil {
			continue
		}
		pc := &pendingClient{c: make(chan *ovs.Client, 1)}
		p[h] = pc
		go func() {
			oc, err := ovs.Connect(ctx, ovs.Endpoint(runDir))
			if err != nil {
				oc = nil // applyHost connects, after the daemons were seen to
			}
			pc.c <- oc
		}()
	}
	return p
}

func (pc *pendingClient) get() *ovs.Client {
	pc.once.Do(func() { pc.oc = <-pc.c })
	return pc.oc
}

// take hands host h's client, nil if there is none, to its caller, who
// closes it. Each host takes its own, so hosts may take at once.
func (p preconnected) take(h string) *ovs.Client {
	pc := p[h]
	if pc == nil {
		return nil
	}
	pc.taken = true
	return pc.get()
}

// close closes the clients nobody took.
func (p preconnected) close() {
	for _, pc := range p {
		if !pc.taken {
			if oc := pc.get(); oc != nil {
				oc.Close()
			}
		}
	}
}
