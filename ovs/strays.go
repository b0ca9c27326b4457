package ovs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DaemonHome is where an emulated host's daemons live: the run directory
// of their pidfiles and the netns (a path) they run in.
type DaemonHome struct {
	RunDir string
	Netns  string
}

// StopStrays stops every ovsdb-server and ovs-vswitchd that runs inside
// one of homes' namespaces but is not the daemon its run dir's pidfile
// names: daemons whose run dir was removed (a cleaned /run, a lost state)
// still serve a deleted database and would fight the ones StartDaemons
// starts. A netns of an emulated host is wholly the lab's, so any OVS
// daemon in it is the lab's. The process table is read once for all homes.
func StopStrays(homes []DaemonHome) error {
	byNS := map[nsKey]DaemonHome{}
	for _, h := range homes {
		if k, ok := statKey(h.Netns); ok {
			byNS[k] = h
		}
	}
	if len(byNS) == 0 {
		return nil
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return err
	}
	var strays []int
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		name := strings.TrimSpace(string(comm))
		if err != nil || (name != ovsdbServer && name != ovsVswitchd) {
			continue
		}
		k, ok := statKey(fmt.Sprintf("/proc/%d/ns/net", pid))
		if !ok {
			continue
		}
		h, ok := byNS[k]
		if !ok {
			continue
		}
		if known, up := daemonPID(absDir(h.RunDir), name); up && known == pid {
			continue
		}
		strays = append(strays, pid)
	}
	return killAll(strays)
}

// statKey identifies a netns file (a bind mount under /run/netns or a
// process's ns/net link) by device and inode.
func statKey(path string) (nsKey, bool) {
	var st syscall.Stat_t
	if path == "" || syscall.Stat(path, &st) != nil {
		return nsKey{}, false
	}
	return nsKey{uint64(st.Dev), st.Ino}, true
}

type nsKey struct{ dev, ino uint64 }

// killAll sends SIGTERM (OVS daemons clean up on it), then SIGKILL to what
// is left, waiting for each round.
func killAll(pids []int) error {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		var left []int
		for _, pid := range pids {
			if err := syscall.Kill(pid, sig); err == nil {
				left = append(left, pid)
			}
		}
		if len(left) == 0 {
			return nil
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := poll(ctx, func() (bool, error) {
			for _, pid := range left {
				if alive(pid) {
					return false, nil
				}
			}
			return true, nil
		}, func() error { return errors.New("timeout") })
		cancel()
		if err == nil {
			return nil
		}
		pids = left
	}
	var still []string
	for _, pid := range pids {
		if alive(pid) {
			still = append(still, strconv.Itoa(pid))
		}
	}
	if len(still) > 0 {
		return fmt.Errorf("OVS daemons %s still running after SIGTERM and SIGKILL", strings.Join(still, ", "))
	}
	return nil
}

// alive reports whether pid is a process that has not exited (a zombie
// has: its parent just has not reaped it).
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z' && stat[i+2] != 'X'
}
