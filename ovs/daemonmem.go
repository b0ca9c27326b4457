package ovs

import (
	"maps"
	"os"
	"os/exec"
	"strings"

	"golang.org/x/sys/unix"
)

// What an emulated host's daemons hold, read from /proc/PID/smaps_rollup
// with 60 copies of the reference lab up (OVS 3.1, netdev datapath; MiB per
// host, scripts/bench-ovsmem.sh). RSS counts the shared library pages again
// in every process; PSS shares them out among the processes mapping them,
// so PSS summed over all copies is what a class costs the machine.
//
//   - ovs-vswitchd: RSS 18.2, PSS 11.5. 6.7 of its RSS are library pages.
//     8.8 is one allocation: the exact-match and signature-match flow caches
//     (8192 and 1M entries) of the datapath's non-PMD thread, which OVS
//     sizes at compile time and writes in full when the netdev datapath is
//     created; no other_config key shrinks or skips them. The heap holds
//     1.1-1.3.
//   - ovsdb-server: RSS 7.0, PSS 2.1, of which 0.6 heap, the rest library
//     data. Its options (compaction, column diffs) change the file on disk,
//     not memory.
//
// Measured and left at OVS's defaults, each saving under 0.1 per host:
// flow-limit=1000, max-idle=1000, MALLOC_ARENA_MAX=1 or 2 (the threads
// hardly allocate), glibc's trim threshold and top pad. n-offload-threads
// starts nothing while hw-offload is off (the default), no PMD thread runs
// without a DPDK or AF_XDP port, and vswitchd runs without --mlockall, so
// nothing is locked in memory. Thread stacks are 8 MiB of address space
// each but 8-48 KiB resident.

// daemonOtherConfig is the Open_vSwitch other_config an emulated host's
// vswitchd starts with.
var daemonOtherConfig = map[string]string{
	// The netdev datapath makes its upcalls in the thread that polls the
	// port; its handler threads wait for nothing, and one revalidator
	// keeps up with a lab's dozen flows. By default OVS runs one thread
	// per CPU (n/4+1 revalidators, the rest handlers): 2 here, 16 on a
	// 16-core server. Each costs 33 KiB resident (14 more threads: +0.45
	// MiB PSS per host, measured); both set, or OVS sizes the other pool
	// from the CPU count.
	"n-handler-threads":     "1",
	"n-revalidator-threads": "1",
	// An idle vswitchd wakes for its revalidator's periodic round, every
	// 500 ms by default, and its main thread with it: measured here with
	// 20 emulated hosts idle against 20 left at the default, 5000 cut
	// vswitchd's CPU from 2.3 to 0.7 ms per second per host (200 hosts of
	// a 100-copy class: from about 0.45 of a core to 0.14), 10000 saved
	// no more. A change of flows, ports or learned MACs still revalidates
	// at once; what waits up to 5 s is the periodic pass: flow counters in
	// ovs-ofctl dump-flows (as interface statistics already wait 5 s) and
	// the expiry of idle datapath flows.
	"max-revalidator": "5000",
}

// rootOtherConfig is daemonOtherConfig without the keys current already
// sets (a value changed by hand stays), or nil when nothing is missing.
func rootOtherConfig(current map[string]string) map[string]string {
	missing := maps.Clone(daemonOtherConfig)
	for k := range current {
		delete(missing, k)
	}
	if len(missing) == 0 {
		return nil
	}
	return missing
}

// startMergeable starts cmd with its memory open to the kernel's same-page
// merging (KSM, PR_SET_MEMORY_MERGE): the flow caches above are the same
// bytes in every vswitchd, so where the machine runs ksmd
// (/sys/kernel/mm/ksm/run = 1) it keeps one copy of each page for all
// hosts. Measured with ksmd on, 60 hosts, after three full scans: PSS per
// host 13.6 -> 4.2 MiB (vswitchd 11.5 -> 2.4, ovsdb-server 2.1 -> 1.8).
// Merging starts after the daemons have written the pages, so it lowers
// what a class holds once up, never the peak while it comes up.
//
// The mark is process-wide and survives fork and exec (Linux 6.4 brought
// the call, "mm/ksm: support fork/exec for prctl" of late 2023 the exec;
// before either the daemons start unmarked). So this process marks itself
// once and stays marked: clearing the mark unmerges, walking every page
// of the process's address space, which cost 1.9 of ovslab's 7.7
// CPU-seconds in a class up of 50 copies (two calls per daemon, each
// holding the others' starts). It does so only where ksmd runs, the
// machine's owner having turned merging on: elsewhere the mark would
// merge nothing. Its own pages and the other commands it runs are then
// candidates too, which changes nothing they read; the sandboxed shells
// clear the mark before they drop privileges (internal/sandbox).
func startMergeable(cmd *exec.Cmd) error {
	markMergeable()
	return cmd.Start()
}

// ksmRun is "1" while ksmd merges pages.
const ksmRun = "/sys/kernel/mm/ksm/run"

// markMergeable marks the process while ksmd runs, once: an unmarked
// process whose kernel lacks the call stays unmarked.
func markMergeable() {
	if b, err := os.ReadFile(ksmRun); err != nil || strings.TrimSpace(string(b)) != "1" {
		return
	}
	if on, err := unix.PrctlRetInt(unix.PR_GET_MEMORY_MERGE, 0, 0, 0, 0); err != nil || on == 1 {
		return
	}
	_ = unix.Prctl(unix.PR_SET_MEMORY_MERGE, 1, 0, 0, 0)
}
