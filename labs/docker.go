package labs

import (
	"context"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/topology"
)

// connectDocker reaches Docker for a lab with containers. A lab without any
// needs no Docker at all (it may run where no dockerd does, such as a test
// VM): there an unreachable daemon is no error and the client is nil, which
// every step below reads as "no containers here".
func connectDocker(ctx context.Context, t *topology.Topology) (*containers.Client, error) {
	dc, err := containers.Connect(ctx)
	if err != nil && len(t.Containers) == 0 {
		return nil, nil
	}
	return dc, err
}

// dockerForState is connectDocker for the lab as recorded; a record that no
// longer parses may still name containers, so then Docker is needed.
func dockerForState(ctx context.Context, st *State) (*containers.Client, error) {
	src, err := fromState(st)
	if err != nil {
		return containers.Connect(ctx)
	}
	return connectDocker(ctx, src.Topo)
}
