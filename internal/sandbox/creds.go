package sandbox

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// kept are the only capabilities the shell holds: links, addresses,
// routes, iptables and OVS's netdevs (NET_ADMIN), tcpdump and ping
// (NET_RAW).
var kept = []int{unix.CAP_NET_ADMIN, unix.CAP_NET_RAW}

// keptMask is kept as a capability bit mask (all below 32).
func keptMask() uint32 {
	var m uint32
	for _, c := range kept {
		m |= 1 << c
	}
	return m
}

// dropPrivileges turns this thread, root so far, into uid:gid with no
// supplementary groups and only the kept capabilities, in every set and
// across exec (ambient), with no_new_privs. Raw system calls: credentials
// are per thread and this thread is the one that execs.
func dropPrivileges(uid, gid int) error {
	// The bounding set first: dropping from it needs CAP_SETPCAP.
	for c := 0; c <= 63; c++ {
		if c < 32 && keptMask()&(1<<c) != 0 {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
			if errors.Is(err, unix.EINVAL) {
				break // past the kernel's last capability
			}
			return fmt.Errorf("dropping capability %d from the bounding set: %w", c, err)
		}
	}
	// Keep the permitted set across the uid change, to raise ambient
	// capabilities from it.
	if err := unix.Prctl(unix.PR_SET_KEEPCAPS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("keepcaps: %w", err)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETGROUPS, 0, 0, 0); e != 0 {
		return fmt.Errorf("setgroups: %w", e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESGID, uintptr(gid), uintptr(gid), uintptr(gid)); e != 0 {
		return fmt.Errorf("setresgid %d: %w", gid, e)
	}
	if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, uintptr(uid), uintptr(uid), uintptr(uid)); e != 0 {
		return fmt.Errorf("setresuid %d: %w", uid, e)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	data := [2]unix.CapUserData{{Effective: keptMask(), Permitted: keptMask(), Inheritable: keptMask()}}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("capset: %w", err)
	}
	for _, c := range kept {
		if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_RAISE, uintptr(c), 0, 0); err != nil {
			return fmt.Errorf("ambient capability %d: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("no_new_privs: %w", err)
	}
	return nil
}
