package class

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/topology"
)

// What one copy of a lab costs this machine, by what it is made of: the
// one place these figures live, for Fit to estimate a class with. They
// were measured on the project's 2-core VM (OVS 3.1 with the userspace
// datapath, Docker 20.10) as PSS, which shares a library's pages among the
// processes mapping them: RSS counts them again in every process, and
// summed over a class overstates it by half. scripts/bench-class.sh
// prints what MemAvailable fell per copy next to the estimate: 45 MiB
// per l3-vxlan copy at 30 copies, estimated 48.
const (
	// OVSDaemonsPerHost is one emulated host's ovsdb-server and
	// ovs-vswitchd: 13.6 MiB PSS (vswitchd 11.5, of which 8.8 are its
	// flow caches; ovsdb-server 2.1), 25 MiB RSS; ovs/daemonmem.go.
	OVSDaemonsPerHost = 14 << 20
	// PerContainer is one container: its containerd-shim (2.7 MiB PSS,
	// 13 MiB RSS), the container's own processes and page cache (0.3
	// MiB in its cgroup for busybox's sleep) and what dockerd, containerd
	// and the kernel keep for it (0.4 MiB), rounded up.
	PerContainer = 4 << 20
	// PerNamespace is one network namespace of the fabric (a host, the
	// router, the WAN) with its veths: 160 KiB of slab measured per
	// netns with a veth, rounded up for routes, neighbours and the
	// netfilter tables a host's NAT adds.
	PerNamespace = 1 << 20
	// Headroom is kept for the machine itself (dockerd, the server, the
	// page cache) when deciding whether a class fits.
	Headroom = 512 << 20
)

// Footprint is what one copy of a lab is estimated to take.
type Footprint struct {
	Hosts, Containers, Namespaces int
	Bytes                         uint64
}

// FootprintOf estimates one emulated copy of t: every host's OVS
// daemons, every container, and the namespaces of its hosts, router and
// WAN.
func FootprintOf(t *topology.Topology) Footprint {
	f := Footprint{Hosts: len(t.Hosts), Containers: len(t.Containers), Namespaces: len(t.Hosts) + 2}
	f.Bytes = uint64(f.Hosts)*OVSDaemonsPerHost + uint64(f.Containers)*PerContainer + uint64(f.Namespaces)*PerNamespace
	return f
}

// MemoryError is a class this machine cannot hold: nothing was changed.
type MemoryError struct {
	Class     string
	Copies    int // copies to bring up
	Per       Footprint
	Need      uint64 // Copies × Per.Bytes
	Available uint64 // MemAvailable
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("class %s: %d copies need about %s (%s each: %d emulated hosts' OVS daemons at %s, %d containers at %s, %d namespaces at %s) "+
		"and %s is kept for the machine, but only %s is available (MemAvailable in /proc/meminfo); nothing was changed. "+
		"Free memory, take students out of the class file (or split it into classes on several machines), or use a machine with more memory",
		e.Class, e.Copies, size(e.Need), size(e.Per.Bytes), e.Per.Hosts, size(OVSDaemonsPerHost), e.Per.Containers, size(PerContainer),
		e.Per.Namespaces, size(PerNamespace), size(Headroom), sizeDown(e.Available))
}

// Fit says whether copies more copies of c fit in available bytes,
// keeping Headroom: nil, or a *MemoryError that says both numbers.
func Fit(c *Class, copies int, available uint64) error {
	per := FootprintOf(c.Lab.Topo)
	need := uint64(copies) * per.Bytes
	if copies == 0 || need+Headroom <= available {
		return nil
	}
	return &MemoryError{Class: c.Name, Copies: copies, Per: per, Need: need, Available: available}
}

// MemAvailable is what the kernel estimates can be given to new work
// without swapping: MemAvailable in /proc/meminfo, in bytes.
func MemAvailable() (uint64, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("/proc/meminfo: MemAvailable: %v", err)
			}
			return kb << 10, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/meminfo has no MemAvailable (Linux 3.14 or later has)")
}

// sizeDown prints what is available, rounded down: never more than
// there is.
func sizeDown(b uint64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b>>20)/1024-0.05)
	}
	return fmt.Sprintf("%d MiB", b>>20)
}

// size prints what is needed in MiB or GiB, rounded up.
func size(b uint64) string {
	if b >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30)+0.05)
	}
	return fmt.Sprintf("%d MiB", (b+(1<<20)-1)>>20)
}
