package nsutil

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Throwaway runs fn on a new, unnamed network namespace that nothing else
// can see, and which disappears when fn returns: a place to ask the kernel
// what it can do (create a qdisc, say) without changing any namespace in
// use.
func Throwaway(fn func(*NS) error) error {
	var ns *NS
	err := onOwnThread(func() error {
		fd, err := netns.New() // also moves this thread into it
		if err != nil {
			return fmt.Errorf("new netns: %w", err)
		}
		h, err := netlink.NewHandleAt(fd)
		if err != nil {
			fd.Close()
			return fmt.Errorf("netlink in a new netns: %w", err)
		}
		ns = &NS{Path: fmt.Sprintf("(throwaway %d)", int(fd)), Handle: h, fd: fd, sock: -1}
		return nil
	})
	if err != nil {
		return err
	}
	defer ns.Close()
	return fn(ns)
}
