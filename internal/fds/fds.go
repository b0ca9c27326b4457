// Package fds keeps descriptors ovslab inherited from whoever started it
// out of the processes ovslab starts. Go opens its own files close-on-exec,
// but a descriptor inherited without that flag (a shell's redirection, the
// lock of `flock FILE ovslab up`) passes on to every child: the OVS daemons
// of an emulated host would then hold it for as long as the lab runs,
// keeping the caller's lock taken or its pipe open.
package fds

import (
	"math"
	"sync"

	"golang.org/x/sys/unix"
)

var once sync.Once

// CloseInherited marks every descriptor from 3 up close-on-exec, once per
// process; call it before starting a child that outlives the command.
// Equivalent to: `close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)`.
func CloseInherited() {
	once.Do(func() {
		// Linux 5.11+; on older kernels descriptors stay as they were.
		_ = unix.CloseRange(3, math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
	})
}
