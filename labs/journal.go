package labs

import (
	"maps"
	"slices"
	"sync"
)

// journal is the one writer of a lab's state while up or down runs. Hosts
// are applied concurrently; each records what it is about to change (an
// original MTU, a moved address, a claimed netns) through the journal,
// which merges it into the state and saves it under one lock before the
// change is made, so an interrupted run can still be undone.
type journal struct {
	mu sync.Mutex
	st *State
	// pidHints are the PIDs the state held when an up began: set by
	// takePIDs before any host starts, read-only after, so unlocked.
	pidHints map[string]int
	// hostsHints are the state's HostsFiles when the up began, as pidHints.
	hostsHints map[string]string
	// log is what this run changed, for up to tell its user.
	log changeLog
	// made are the netns this run created: nothing else has been in
	// them, so there is nothing to read back (no stray daemon, no rule).
	made map[string]bool
}

// madeNetns records that this run created netns name.
func (j *journal) madeNetns(name string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.made == nil {
		j.made = map[string]bool{}
	}
	j.made[name] = true
}

// fresh reports whether this run created netns name.
func (j *journal) fresh(name string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.made[name]
}

// changed records that the run changed object on host ("" for the
// emulated router and internet).
func (j *journal) changed(host, object, format string, args ...any) {
	j.log.add(host, object, format, args...)
}

// hook is where a mechanism working on host (a netns, an OVSDB client)
// reports the changes it makes.
func (j *journal) hook(host string) func(object, what string) { return j.log.on(host) }

func newJournal(st *State) *journal { return &journal{st: st} }

// takePIDs makes the state's PIDs and hosts files' stamps this run's
// hints and leaves the state only those the run sees, so it never names a
// container the lab no longer has.
func (j *journal) takePIDs() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.pidHints, j.st.PIDs = j.st.PIDs, nil
	j.hostsHints, j.st.HostsFiles = j.st.HostsFiles, nil
}

// hostsHint is the stamp of container name's /etc/hosts as the last run
// left it, "" if none.
func (j *journal) hostsHint(name string) string { return j.hostsHints[name] }

// sawHosts notes the stamp of container name's /etc/hosts for the next
// run, saved with the state's next save; "" notes nothing.
func (j *journal) sawHosts(name, stamp string) {
	if stamp == "" {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.st.HostsFiles == nil {
		j.st.HostsFiles = map[string]string{}
	}
	j.st.HostsFiles[name] = stamp
}

// pidHint is the PID the last run saw for container name, 0 if none.
func (j *journal) pidHint(name string) int { return j.pidHints[name] }

// sawPID notes the PID of container name for the next run; it is saved
// with the state's next save.
func (j *journal) sawPID(name string, pid int) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.st.PIDs == nil {
		j.st.PIDs = map[string]int{}
	}
	j.st.PIDs[name] = pid
}

// restore returns a copy of host's restore record (empty if none).
func (j *journal) restore(host string) hostRestore {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := j.st.Restore[host]
	if r == nil {
		return hostRestore{}
	}
	c := *r
	c.MTU = maps.Clone(r.MTU)
	return c
}

// record lets fn change host's restore record and saves the state if fn
// reports a change.
func (j *journal) record(host string, fn func(r *hostRestore) bool) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !fn(j.st.restoreFor(host)) {
		return nil
	}
	return j.st.Save()
}

// claimNetns records that the lab made (or is about to make) the netns.
func (j *journal) claimNetns(name string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if slices.Contains(j.st.Netns, name) {
		return nil
	}
	j.st.Netns = append(j.st.Netns, name)
	return j.st.Save()
}

// ownsNetns reports whether the lab recorded the netns as its own.
func (j *journal) ownsNetns(name string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Contains(j.st.Netns, name)
}

// forgetNetns drops a deleted netns from the record.
func (j *journal) forgetNetns(name string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !slices.Contains(j.st.Netns, name) {
		return nil
	}
	j.st.Netns = slices.DeleteFunc(j.st.Netns, func(n string) bool { return n == name })
	return j.st.Save()
}

// save writes the state as it stands.
func (j *journal) save(fn func(st *State)) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if fn != nil {
		fn(j.st)
	}
	return j.st.Save()
}
