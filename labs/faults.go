package labs

import (
	"slices"

	"github.com/ovslab/ovslab/nat"
	"github.com/ovslab/ovslab/topology"
)

// A stage's faults (topology.Fault) as this machine applied them: each is
// recorded in the state, with what it replaced, before the change is made,
// so down, stage and reset undo it even after an interrupted run. While
// its stage is current, what a fault changed is held: up leaves it as it
// finds it (neither fixing the fault nor breaking again what a student
// repaired), and converges everything else.

// appliedFault is one thing a fault changed on one host of this machine:
// a fault on a host's tunnels of a network is one record per tunnel.
type appliedFault struct {
	Stage string `json:"stage"`
	Index int    `json:"index"` // the fault's place in its stage
	Kind  string `json:"kind"`
	On    string `json:"on"` // as the file writes it
	// Host is the host whose part it changed; Router: the router's side
	// of Host's underlay link (emulated labs only).
	Host   string `json:"host"`
	Router bool   `json:"router,omitempty"`
	// Link is the kernel link or OVS port it changed, in Host's netns
	// (the router's for Router): the NIC, a host veth, a gateway or host
	// port, a tunnel port.
	Link    string `json:"link,omitempty"`
	Node    string `json:"node,omitempty"`   // the container, by its node name
	Docker  string `json:"docker,omitempty"` // the container's Docker name
	Iface   string `json:"iface,omitempty"`  // the container interface
	Network string `json:"network,omitempty"`
	Peer    string `json:"peer,omitempty"` // a tunnel's remote host
	Was     string `json:"was,omitempty"`  // what it replaced, as read before the change
	Set     string `json:"set,omitempty"`  // what it set
	// Rule is the iptables rule a drop adds or a nat-off removes.
	Rule    *nat.Rule      `json:"rule,omitempty"`
	Flapper *flapperRecord `json:"flapper,omitempty"`
	// Applied is false from the record until the change is made: an
	// interrupted run leaves it false, and the next up applies it again.
	Applied bool `json:"applied"`
}

// holds are the records of the current stage: what up leaves alone.
type holds []*appliedFault

// holds returns a copy of the state's records.
func (j *journal) holds() holds {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make(holds, len(j.st.Faults))
	for i, f := range j.st.Faults {
		c := *f
		out[i] = &c
	}
	return out
}

// find returns the record of kind on host's link (Router false), or nil.
func (h holds) find(kind, host, link string) *appliedFault {
	for _, f := range h {
		if f.Kind == kind && f.Host == host && f.Link == link && !f.Router {
			return f
		}
	}
	return nil
}

// has reports whether a fault of kind holds host's link.
func (h holds) has(kind, host, link string) bool { return h.find(kind, host, link) != nil }

// linkDown reports whether a down or flap fault holds host's link's
// up-or-down state.
func (h holds) linkDown(host, link string) bool {
	return h.has(topology.FaultDown, host, link) || h.has(topology.FaultFlap, host, link)
}

// routerMTU reports whether a fault holds the MTU of the router's side
// of host's underlay link.
func (h holds) routerMTU(host string) bool {
	return slices.ContainsFunc(h, func(f *appliedFault) bool { return f.Kind == topology.FaultMTU && f.Router && f.Host == host })
}

// onHost lists the records of host (not the router's side).
func (h holds) onHost(host string) holds {
	var out holds
	for _, f := range h {
		if f.Host == host && !f.Router {
			out = append(out, f)
		}
	}
	return out
}

// stopped reports whether a stop fault holds the container docker.
func (h holds) stopped(docker string) bool {
	return slices.ContainsFunc(h, func(f *appliedFault) bool { return f.Kind == topology.FaultStop && f.Docker == docker })
}

// forwardOff reports whether a forward-off fault holds host's ip_forward.
func (h holds) forwardOff(host string) bool {
	return slices.ContainsFunc(h, func(f *appliedFault) bool { return f.Kind == topology.FaultForwardOff && f.Host == host })
}

// stage is the current stage.
func (j *journal) stage() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st.Stage
}

// stageApplied reports whether every fault of the current stage is applied.
func (j *journal) stageApplied() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st.StageApplied
}

// recordFault adds rec to the state, replacing an earlier record of the
// same change (a run that re-applies it), and saves the state.
func (j *journal) recordFault(rec *appliedFault) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	c := *rec
	i := slices.IndexFunc(j.st.Faults, func(f *appliedFault) bool { return sameChange(f, rec) })
	if i >= 0 {
		j.st.Faults[i] = &c
	} else {
		j.st.Faults = append(j.st.Faults, &c)
	}
	return j.st.Save()
}

func sameChange(a, b *appliedFault) bool {
	return a.Stage == b.Stage && a.Index == b.Index && a.Host == b.Host && a.Router == b.Router && a.Link == b.Link && a.Docker == b.Docker
}

// applied reports whether every record of fault index of stage is
// applied; false when there is none.
func (j *journal) applied(stage string, index int) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for _, f := range j.st.Faults {
		if f.Stage == stage && f.Index == index {
			if !f.Applied {
				return false
			}
			n++
		}
	}
	return n > 0
}
