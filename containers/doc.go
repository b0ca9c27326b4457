// Package containers owns the lab's Docker containers and their network
// plumbing: it talks to the Docker Engine API (images, containers, exec) and
// uses netlink to give each container veth pairs into a host netns.
//
// Containers are started with NetworkMode "none" so Docker never touches
// their networking; Plumb then adds each interface with its address, MAC,
// MTU and default route. Everything it creates is marked with an ownership
// label, and a container that carries another owner's label (or none) is
// never taken over or removed by Ensure.
//
// Every call to dockerd has a deadline (daemon.go): a daemon that accepts
// and never answers is an error naming it, its address and the call, and
// on a Docker release with the known deadlock under container churn
// (deadlock.go) saying so and what to do.
//
// It knows nothing about OVS or the topology file: callers hand it a Spec
// or a Link with names, addresses and netns paths already decided.
package containers
