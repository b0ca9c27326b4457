package topology

import (
	"errors"
	"fmt"
)

// ErrBadLabName is returned for a lab name that is not safe as a file,
// netns or Docker name.
var ErrBadLabName = errors.New("must be 1..24 of [a-z0-9-], starting and ending with a letter or digit")

// Rename makes t a copy of its lab under another name, so several copies
// with identical addresses can run on one machine (one per student):
// everything named after the lab (netns, state, OVS, Docker and iptables
// marks) takes the new name, and Docker names, which are machine-wide,
// become NAME-NODE. Node names stay: exec, check and capture still take
// doc1. Renaming to the lab's own name changes nothing.
func (t *Topology) Rename(name string) error {
	if !ValidLabName(name) {
		return fmt.Errorf("lab name %q: %w", name, ErrBadLabName)
	}
	if name == t.Name && t.dockerPrefix == "" {
		return nil
	}
	t.Name, t.dockerPrefix = name, name+"-"
	return nil
}

// DockerName is the Docker container name of the lab's container node:
// the node's name, prefixed with the copy's name in a renamed lab. It is
// the one place that decides it.
func (t *Topology) DockerName(node string) string { return t.dockerPrefix + node }

// MaxLabName is the longest lab name, in bytes: a copy's name (a class's
// CLASS-STUDENT) must fit it too.
const MaxLabName = maxLabName
