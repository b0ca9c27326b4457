package sandbox

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// denied are refused with EPERM. Most already need a capability the shell
// lacks; refusing them here too makes one layer enough for each. The
// others reach kernel code a network lab never needs and that has been
// the way out of containers before: keyrings (shared by every process of
// a uid), BPF, io_uring, perf events, userfaultfd, ptrace.
var denied = []uintptr{
	unix.SYS_PTRACE, unix.SYS_PROCESS_VM_READV, unix.SYS_PROCESS_VM_WRITEV,
	unix.SYS_KEYCTL, unix.SYS_ADD_KEY, unix.SYS_REQUEST_KEY,
	unix.SYS_BPF, unix.SYS_PERF_EVENT_OPEN, unix.SYS_USERFAULTFD,
	unix.SYS_IO_URING_SETUP, unix.SYS_IO_URING_ENTER, unix.SYS_IO_URING_REGISTER,
	unix.SYS_KEXEC_LOAD, unix.SYS_KEXEC_FILE_LOAD,
	unix.SYS_INIT_MODULE, unix.SYS_FINIT_MODULE, unix.SYS_DELETE_MODULE,
	unix.SYS_MOUNT, unix.SYS_UMOUNT2, unix.SYS_PIVOT_ROOT, unix.SYS_CHROOT,
	unix.SYS_OPEN_TREE, unix.SYS_OPEN_TREE_ATTR, unix.SYS_MOVE_MOUNT, unix.SYS_MOUNT_SETATTR,
	unix.SYS_FSOPEN, unix.SYS_FSCONFIG, unix.SYS_FSMOUNT, unix.SYS_FSPICK,
	unix.SYS_SETNS, unix.SYS_OPEN_BY_HANDLE_AT,
	unix.SYS_SWAPON, unix.SYS_SWAPOFF, unix.SYS_REBOOT, unix.SYS_ACCT, unix.SYS_SYSLOG,
}

// seccomp_data offsets: nr, arch, then args[6] of 8 bytes each; the low
// half of args[0] comes first on a little-endian machine (amd64, arm64).
const (
	offNr    = 0
	offArch  = 4
	offArg0  = 16
	retAllow = unix.SECCOMP_RET_ALLOW
	retEPERM = unix.SECCOMP_RET_ERRNO | uint32(unix.EPERM)
	// clone3 passes its flags in memory a filter cannot read: ENOSYS
	// makes the C library fall back to clone, whose flags it can.
	retENOSYS = unix.SECCOMP_RET_ERRNO | uint32(unix.ENOSYS)
	retKill   = unix.SECCOMP_RET_KILL_PROCESS
)

// installSeccomp loads the filter on this thread, which then execs: the
// filter is inherited by exec and every child. It needs no_new_privs.
func installSeccomp() error {
	prog := seccompProgram()
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if err := unix.Prctl(unix.PR_SET_SECCOMP, unix.SECCOMP_MODE_FILTER, uintptr(unsafe.Pointer(&fprog)), 0, 0); err != nil {
		return fmt.Errorf("seccomp: %w", err)
	}
	return nil
}

// seccompProgram is the classic BPF program: another architecture's
// system calls (their numbers differ) kill the process; new user
// namespaces (clone, unshare with CLONE_NEWUSER: inside one, a user holds
// every capability over what it creates) and denied calls get EPERM.
func seccompProgram() []unix.SockFilter {
	var a asm
	a.ld(offArch)
	a.jeq(auditArch, "", "kill")
	a.ld(offNr)
	if foreignABI != 0 {
		a.jge(foreignABI, "eperm", "")
	}
	a.jeq(unix.SYS_CLONE3, "enosys", "")
	a.jeq(unix.SYS_CLONE, "flags", "")
	a.jeq(unix.SYS_UNSHARE, "flags", "")
	for _, nr := range denied {
		a.jeq(uint32(nr), "eperm", "")
	}
	a.ret(retAllow)
	a.label("flags")
	a.ld(offArg0)
	a.jset(unix.CLONE_NEWUSER, "eperm", "")
	a.ret(retAllow)
	a.label("eperm")
	a.ret(retEPERM)
	a.label("enosys")
	a.ret(retENOSYS)
	a.label("kill")
	a.ret(retKill)
	return a.assemble()
}

// asm builds a BPF program whose jumps name labels ("" = the next
// instruction).
type asm struct {
	insns  []unix.SockFilter
	jumps  map[int][2]string
	labels map[string]int
}

func (a *asm) add(code uint16, k uint32, jt, jf string) {
	if a.jumps == nil {
		a.jumps, a.labels = map[int][2]string{}, map[string]int{}
	}
	if jt != "" || jf != "" {
		a.jumps[len(a.insns)] = [2]string{jt, jf}
	}
	a.insns = append(a.insns, unix.SockFilter{Code: code, K: k})
}

func (a *asm) ld(off uint32) { a.add(unix.BPF_LD|unix.BPF_W|unix.BPF_ABS, off, "", "") }
func (a *asm) ret(v uint32)  { a.add(unix.BPF_RET|unix.BPF_K, v, "", "") }
func (a *asm) jeq(k uint32, jt, jf string) {
	a.add(unix.BPF_JMP|unix.BPF_JEQ|unix.BPF_K, k, jt, jf)
}
func (a *asm) jge(k uint32, jt, jf string) {
	a.add(unix.BPF_JMP|unix.BPF_JGE|unix.BPF_K, k, jt, jf)
}
func (a *asm) jset(k uint32, jt, jf string) {
	a.add(unix.BPF_JMP|unix.BPF_JSET|unix.BPF_K, k, jt, jf)
}
func (a *asm) label(name string) { a.labels[name] = len(a.insns) }

// assemble resolves the labels into forward offsets; a program that
// cannot be assembled is a bug, caught by its unit test.
func (a *asm) assemble() []unix.SockFilter {
	off := func(i int, name string) uint8 {
		if name == "" {
			return 0
		}
		t, ok := a.labels[name]
		d := t - i - 1
		if !ok || d < 0 || d > 255 {
			panic(fmt.Sprintf("seccomp: bad jump from %d to %q", i, name))
		}
		return uint8(d)
	}
	out := append([]unix.SockFilter(nil), a.insns...)
	for i, j := range a.jumps {
		out[i].Jt, out[i].Jf = off(i, j[0]), off(i, j[1])
	}
	return out
}
