package server

import (
	"bufio"
	"fmt"
	"hash/fnv"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The ids of host shells: one number per lab copy, used as both its uid
// and its gid (ShareOVS opens the copy's OVS sockets to that group), with
// no passwd or group entry. They come from a range of their own: above
// systemd-nspawn's container range (up to 0x6FFFFFFF) and below the
// 2^31 where systemd's and others' special ranges begin, and never one
// the machine's passwd, group, subuid or subgid files name or delegate.
const (
	IDBase = 0x70000000
	IDSpan = 1 << 24
)

// IDs chooses the shell ids of lab copies.
type IDs struct {
	// Files are read for ids in use: passwd and group entries (third
	// field), subuid and subgid ranges (second and third).
	Passwd, Group, Subuid, Subgid string
}

// SystemIDs reads this machine's /etc files.
var SystemIDs = &IDs{Passwd: "/etc/passwd", Group: "/etc/group", Subuid: "/etc/subuid", Subgid: "/etc/subgid"}

// For is lab's id among all, the lab copies this machine serves (lab
// included or not). Each lab starts at a hash of its name and, if that
// id is taken, tries the next: labs are placed in sorted order, so the
// same set of labs always gets the same ids, whichever is asked first.
func (x *IDs) For(lab string, all []string) (int, error) {
	used, err := x.inUse()
	if err != nil {
		return 0, err
	}
	labs := slices.Clone(all)
	if !slices.Contains(labs, lab) {
		labs = append(labs, lab)
	}
	slices.Sort(labs)
	labs = slices.Compact(labs)
	given := map[int]bool{}
	for _, l := range labs {
		id, ok := place(l, func(id int) bool { return given[id] || used.has(id) })
		if !ok {
			return 0, fmt.Errorf("no free shell id in %#x..%#x", IDBase, IDBase+IDSpan-1)
		}
		if l == lab {
			return id, nil
		}
		given[id] = true
	}
	panic("unreachable: lab is in labs")
}

func place(lab string, taken func(int) bool) (int, bool) {
	h := fnv.New32a()
	h.Write([]byte(lab))
	start := int(h.Sum32() % IDSpan)
	for i := range IDSpan {
		id := IDBase + (start+i)%IDSpan
		if !taken(id) {
			return id, true
		}
	}
	return 0, false
}

// ranges are ids in use: single ids and [first, first+count) ranges.
type ranges [][2]int

func (r ranges) has(id int) bool {
	for _, x := range r {
		if id >= x[0] && id < x[1] {
			return true
		}
	}
	return false
}

func (x *IDs) inUse() (ranges, error) {
	var out ranges
	for _, f := range []string{x.Passwd, x.Group} {
		err := fields(f, func(p []string) {
			if len(p) > 2 {
				if id, err := strconv.Atoi(p[2]); err == nil {
					out = append(out, [2]int{id, id + 1})
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for _, f := range []string{x.Subuid, x.Subgid} {
		err := fields(f, func(p []string) {
			if len(p) > 2 {
				first, err1 := strconv.Atoi(p[1])
				n, err2 := strconv.Atoi(p[2])
				if err1 == nil && err2 == nil {
					out = append(out, [2]int{first, first + n})
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fields calls fn with the colon-separated fields of each line of path;
// a file that is not there has no lines.
func fields(path string, fn func([]string)) error {
	if path == "" {
		return nil
	}
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(strings.Split(line, ":"))
	}
	return sc.Err()
}
