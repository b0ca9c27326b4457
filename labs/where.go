package labs

import (
	"context"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// Where a lab's pieces live on this machine, for the packages above labs
// that read a running lab without changing it (trace).

// Place is where one host of a lab lives: its network namespace, its
// OVSDB and the run directory of its ovs-vswitchd.
type Place struct {
	Host     string
	Netns    string // path of the host's netns; "" is this process's own (a real host)
	OVSDB    string // OVSDB endpoint
	RunDir   string // where ovs-vswitchd keeps its pidfile and control socket; "" if unknown
	Emulated bool
}

// Place returns where host lives; ovsdb is a real host's --ovsdb ("" =
// the endpoint up recorded, else the default).
func (s *State) Place(host, ovsdb string) Place {
	loc := s.hostLocation(host, ovsdb)
	return Place{Host: host, Netns: loc.netnsPath(), OVSDB: loc.ovsdb, RunDir: loc.runDir, Emulated: loc.emulated}
}

// RouterNetns is the path of an emulated lab's router namespace.
func RouterNetns(lab string) string { return nsutil.Path(NetnsName(lab, routerNode)) }

// WANNetns is the path of an emulated lab's internet namespace.
func WANNetns(lab string) string { return nsutil.Path(NetnsName(lab, wanNode)) }

// RouterLink is the router's end of host's underlay link in an emulated
// lab: the veth named like the host (buildFabric).
func RouterLink(host string) string { return host }

// WANLinks are the router's end and the internet's end of the emulated
// WAN link (ensureWAN).
func WANLinks() (router, wan string) { return "wan", "wan0" }

// Running is a lab container as Docker reports it.
type Running struct {
	ID    string
	PID   int    // 0 unless running
	State string // running, exited, ..., or missing
}

// Containers asks Docker for the named containers of the lab (node names,
// not Docker names), one question per container, so a path through a
// large lab asks only about its own ends. A container Docker does not
// know is "missing".
func Containers(ctx context.Context, src *Source, nodes ...string) (map[string]Running, error) {
	out := make(map[string]Running, len(nodes))
	if len(nodes) == 0 {
		return out, nil
	}
	dc, err := connectDocker(ctx, src.Topo)
	if err != nil || dc == nil {
		return nil, err
	}
	defer dc.Close()
	for _, n := range nodes {
		infos, err := dc.List(ctx, map[string]string{labelLab: src.Topo.Name, labelNode: n})
		if err != nil {
			return nil, err
		}
		r := Running{State: "missing"}
		for _, i := range infos {
			if i.Name == src.Topo.DockerName(n) {
				r = Running{ID: i.ID, PID: i.Pid, State: i.State}
			}
		}
		out[n] = r
	}
	return out, nil
}
