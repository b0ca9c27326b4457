package sandbox

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroups are the directories one shell's processes live in: a pids, a
// memory and a cpu cgroup, each made under the caller's own cgroup of that
// controller, so they stay within whatever limits the caller lives in.
type cgroups struct {
	dirs []string
	pids bool // a pids cgroup is among dirs
}

// removeTimeout bounds how long remove waits for killed processes to go.
const removeTimeout = 5 * time.Second

// limits are what one shell's cgroups hold it to.
type limits struct {
	pids   int
	memory int64   // bytes
	cpu    float64 // cores
}

// cpuPeriod is the CFS period the CPU quota is a share of, in µs (the
// kernel's default).
const cpuPeriod = 100000

// newCgroups makes the shell's cgroups where the machine offers them
// (cgroup v1 hierarchies, or v2 with the controllers enabled for the
// caller's children) and sets their limits.
func newCgroups(l limits) (*cgroups, error) {
	cg := &cgroups{}
	name, err := cgroupName()
	if err != nil {
		return nil, err
	}
	pidsMax, memMax := strconv.Itoa(l.pids), strconv.FormatInt(l.memory, 10)
	quota := strconv.Itoa(int(l.cpu * cpuPeriod))
	// Per directory to make: "" its parent, then file → value.
	var plan []map[string]string
	if base, v2 := controllerDir("pids"); v2 {
		plan = append(plan, map[string]string{"": base,
			"pids.max": pidsMax, "memory.max": memMax, "cpu.max": quota + " " + strconv.Itoa(cpuPeriod)})
	} else {
		// In a fixed order, pids first: the one the shell cannot do
		// without comes first in dirs.
		v1 := []struct {
			ctrl  string
			files map[string]string
		}{
			{"pids", map[string]string{"pids.max": pidsMax}},
			{"memory", map[string]string{"memory.limit_in_bytes": memMax}},
			{"cpu", map[string]string{"cpu.cfs_quota_us": quota}},
		}
		for _, c := range v1 {
			if base, _ := controllerDir(c.ctrl); base != "" {
				c.files[""] = base
				plan = append(plan, c.files)
			}
		}
	}
	for _, p := range plan {
		dir := filepath.Join(p[""], name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			_ = cg.remove()
			return nil, fmt.Errorf("sandbox cgroup: %w", err)
		}
		cg.dirs = append(cg.dirs, dir)
		for file, v := range p {
			if file == "" {
				continue
			}
			if err := os.WriteFile(filepath.Join(dir, file), []byte(v), 0o644); err != nil {
				_ = cg.remove()
				return nil, fmt.Errorf("sandbox cgroup: %w", err)
			}
			cg.pids = cg.pids || file == "pids.max"
		}
	}
	return cg, nil
}

func cgroupName() (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return fmt.Sprintf("ovslab-shell-%d-%s", os.Getpid(), hex.EncodeToString(b)), nil
}

// controllerDir returns the caller's own cgroup directory for ctrl, and
// whether it is a v2 one, or "" when ctrl cannot be used there. A v2
// directory qualifies only if pids, memory and cpu are, or can be, enabled
// for its children: a non-root cgroup that holds processes cannot enable
// them, and then the shell falls back to RLIMIT_NPROC.
func controllerDir(ctrl string) (string, bool) {
	mounts := cgroupMounts()
	own := ownCgroups()
	if m, ok := mounts[ctrl]; ok {
		if p, ok := own[ctrl]; ok {
			return filepath.Join(m, p), false
		}
		return "", false
	}
	m, ok := mounts[""]
	p, ok2 := own[""]
	if !ok || !ok2 {
		return "", false
	}
	dir := filepath.Join(m, p)
	ctl := filepath.Join(dir, "cgroup.subtree_control")
	if !hasWords(ctl, "pids", "memory", "cpu") {
		_ = os.WriteFile(ctl, []byte("+pids +memory +cpu"), 0o644)
		if !hasWords(ctl, "pids", "memory", "cpu") {
			return "", false
		}
	}
	return dir, true
}

func hasWords(file string, words ...string) bool {
	b, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	have := strings.Fields(string(b))
	for _, w := range words {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// cgroupMounts maps each v1 controller to its hierarchy's mount point,
// and "" to the v2 mount point, from /proc/self/mountinfo.
func cgroupMounts() map[string]string {
	out := map[string]string{}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		pf, sf := strings.Fields(pre), strings.Fields(post)
		if !ok || len(pf) < 5 || len(sf) < 3 || pf[3] != "/" {
			continue
		}
		switch sf[0] {
		case "cgroup2":
			out[""] = pf[4]
		case "cgroup":
			for _, o := range strings.Split(sf[2], ",") {
				if o == "pids" || o == "memory" || o == "cpu" {
					out[o] = pf[4]
				}
			}
		}
	}
	return out
}

// ownCgroups maps each v1 controller, and "" for v2, to this process's
// cgroup path, from /proc/self/cgroup.
func ownCgroups() map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			out[""] = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			out[c] = parts[2]
		}
	}
	return out
}

// remove kills every process left in the cgroups, waits for them to go
// and removes the directories.
func (cg *cgroups) remove() error {
	var errs []error
	for _, dir := range cg.dirs {
		if err := emptyAndRemove(dir); err != nil {
			errs = append(errs, err)
		}
	}
	cg.dirs = nil
	return errors.Join(errs...)
}

func emptyAndRemove(dir string) error {
	deadline := time.Now().Add(removeTimeout)
	for {
		err := os.Remove(dir)
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("sandbox cgroup: %w", err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}
