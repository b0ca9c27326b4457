package labs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ovslab/ovslab/internal/durable"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// The kernel keeps one IPv4 neighbour (ARP) table for every network
// namespace on the machine, under one hard limit (gc_thresh3, 1024 by
// default). All containers of an emulated lab, and all of a real host's,
// draw on it: 200 containers that each resolve a handful of peers
// overflow it, and the kernel then neither resolves nor answers ARP
// ("neighbor table overflow!"), so pings fail at random, the more the
// later they come. Up makes room for what the lab can hold and down
// gives the machine its limits back.

// neighDir holds the limits; only the initial netns has them, so where
// it is missing (a test host's netns) the machine's table is not ours.
const neighDir = "net/ipv4/neigh/default"

// neighRecord is the machine's one record of the neighbour table's
// limits, kept by the labs that raised them (RunRoot/.neigh.json, read
// and written under the machine lock). It holds the machine's own
// limits, seen before any lab raised them, and the labs that need them
// raised: the last of those to go down puts them back. One record, not
// one per lab, because labs come and go concurrently: a lab that took
// another's raised limits for the machine's, or two last downs that each
// saw the other still up, left the limits raised and the next lab
// recorded them as the machine's own, a little higher each time.
type neighRecord struct {
	Before [3]int   `json:"before"`
	Set    [3]int   `json:"set"`
	Labs   []string `json:"labs"`
}

const neighRecordName = ".neigh.json"

func neighRecordPath() string { return filepath.Join(RunRoot, neighRecordName) }

// loadNeighRecord reads the record, nil if no lab holds the limits. Labs
// it names that have no state any more (removed by hand) are dropped.
func loadNeighRecord() (*neighRecord, error) {
	b, err := os.ReadFile(neighRecordPath())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r neighRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", neighRecordPath(), err)
	}
	r.Labs = slices.DeleteFunc(r.Labs, func(lab string) bool {
		p, err := statePath(lab)
		if err != nil {
			return true
		}
		_, err = os.Stat(p)
		return errors.Is(err, fs.ErrNotExist)
	})
	return &r, nil
}

// save writes the record atomically, or removes it when no lab holds
// the limits.
func (r *neighRecord) save() error {
	p := neighRecordPath()
	if len(r.Labs) == 0 {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := durable.WriteFile(p+".tmp", append(b, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.Rename(p+".tmp", p); err != nil {
		return err
	}
	return durable.SyncDir(RunRoot)
}

// neighNeed bounds the neighbour entries the lab can hold on the hosts
// for which local is true: each container interface one per member of
// its network and the gateway (a full mesh, as check --full makes), a
// gateway port one per member, and a few for each host's underlay.
func neighNeed(t *topology.Topology, local func(host string) bool) int {
	need := 0
	for _, h := range t.Hosts {
		if local(h.Name) {
			need += 8 // the next hops, and the router's side of them
		}
	}
	for _, n := range t.Networks {
		members := len(t.Members(n.Name)) + 1
		if n.Gateway != nil && local(n.Gateway.Host) {
			need += members
		}
		for _, c := range t.Containers {
			if !local(c.Host) {
				continue
			}
			for _, i := range c.Interfaces {
				if i.Network == n.Name {
					need += members
				}
			}
		}
	}
	return need
}

// raiseNeighLimits gives the neighbour table room for need more entries
// than the machine had before any lab raised it, seen from the netns at
// netnsPath, and records lab among the labs that need it. A lab that
// fits under the soft limit beside the entries already there changes
// nothing. Called under the machine lock.
func raiseNeighLimits(lab, netnsPath string, need int, progress func(string, ...any)) error {
	var (
		cur     [3]int
		entries int
	)
	missing := false
	err := nsutil.Do(netnsPath, func() error {
		var err error
		if cur, err = readNeighLimits(); errors.Is(err, fs.ErrNotExist) {
			missing = true
			return nil
		} else if err != nil {
			return err
		}
		entries, err = neighEntries()
		return err
	})
	if missing {
		return nil
	}
	if err != nil {
		return fmt.Errorf("neighbour table limits: %w", err)
	}
	rec, err := loadNeighRecord()
	if err != nil {
		return fmt.Errorf("neighbour table limits: %w", err)
	}
	own := rec == nil // the limits now are the machine's own
	if own {
		rec = &neighRecord{Before: cur}
	}
	before := rec.Before
	// The limits now may be below the machine's own (lowered by hand
	// since): the room must be there now too.
	if entries+need <= min(before[1], cur[1]) && !slices.Contains(rec.Labs, lab) {
		return nil
	}
	set := [3]int{cur[0], max(cur[1], before[1]+need), max(cur[2], before[2]+need)}
	// A lab that needs what labs raised holds it too, even if it raises
	// nothing: their down must not take the room away.
	if set == cur && own {
		return nil
	}
	if !slices.Contains(rec.Labs, lab) {
		rec.Labs = append(rec.Labs, lab)
	}
	rec.Set = set
	if err := rec.save(); err != nil {
		return fmt.Errorf("neighbour table limits: %w", err)
	}
	if set == cur {
		return nil
	}
	progress("kernel neighbour table: room for %d entries of the lab (gc_thresh3 %d → %d)", need, cur[2], set[2])
	return nsutil.Do(netnsPath, func() error { return writeNeighLimits(set) })
}

// restoreNeighLimits lets go of lab's hold on the raised limits; the
// last lab to let go puts back the machine's own, unless someone lowered
// them since. Called under the machine lock.
func restoreNeighLimits(lab string) error {
	rec, err := loadNeighRecord()
	if err != nil || rec == nil {
		return err
	}
	held := slices.Contains(rec.Labs, lab)
	rec.Labs = slices.DeleteFunc(rec.Labs, func(l string) bool { return l == lab })
	if len(rec.Labs) > 0 {
		if !held {
			return nil
		}
		return rec.save()
	}
	// The last holder, or none left (their states removed by hand, or
	// this lab's, down without a state). On failure the record stays,
	// this lab in it, for down's retry.
	if err := nsutil.Do(nsutil.Own(), func() error { return restoreNeighLimitsHere(rec) }); err != nil {
		return err
	}
	return rec.save()
}

func restoreNeighLimitsHere(rec *neighRecord) error {
	cur, err := readNeighLimits()
	if errors.Is(err, fs.ErrNotExist) || (err == nil && (cur[1] < rec.Set[1] || cur[2] < rec.Set[2])) {
		return nil
	}
	if err == nil {
		err = writeNeighLimits(rec.Before)
	}
	if err != nil {
		return fmt.Errorf("restore neighbour table limits %v: %w", rec.Before, err)
	}
	return nil
}

// arpStat counts the table's entries, all netns together. The kernel
// makes it in the initial netns only, and /proc/net is the netns of the
// process's main thread, which Go may have lent to a goroutine that
// entered a container's netns: the calling thread's view is the one Do
// chose.
const arpStat = "/proc/thread-self/net/stat/arp_cache"

// neighEntries is how many entries the table holds now, in all netns.
func neighEntries() (int, error) {
	b, err := os.ReadFile(arpStat)
	if err != nil {
		return 0, err
	}
	// A header, then one line per CPU, each starting with the count.
	f := strings.Fields(string(b))
	if len(f) < 2 || f[0] != "entries" {
		return 0, fmt.Errorf("%s: unexpected %q", arpStat, b)
	}
	header := len(strings.Fields(strings.SplitN(string(b), "\n", 2)[0]))
	if len(f) <= header {
		return 0, fmt.Errorf("%s: no counts", arpStat)
	}
	n, err := strconv.ParseInt(f[header], 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", arpStat, err)
	}
	return int(n), nil
}

func readNeighLimits() ([3]int, error) {
	var v [3]int
	for i := range v {
		s, err := nsutil.ReadSysctl(fmt.Sprintf("%s/gc_thresh%d", neighDir, i+1))
		if err != nil {
			return v, err
		}
		if v[i], err = strconv.Atoi(s); err != nil {
			return v, fmt.Errorf("gc_thresh%d: %w", i+1, err)
		}
	}
	return v, nil
}

func writeNeighLimits(v [3]int) error {
	for i := range v {
		if err := nsutil.WriteSysctl(fmt.Sprintf("%s/gc_thresh%d", neighDir, i+1), strconv.Itoa(v[i])); err != nil {
			return err
		}
	}
	return nil
}
