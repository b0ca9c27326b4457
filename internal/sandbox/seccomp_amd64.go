package sandbox

import "golang.org/x/sys/unix"

const (
	auditArch = unix.AUDIT_ARCH_X86_64
	// foreignABI is the first x32 system call number: x32 calls pass the
	// arch check, so they are refused by number.
	foreignABI = 0x40000000
)
