package nsutil

import (
	"errors"
	"fmt"
	"sync"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NS is an open network namespace with a netlink handle and an ioctl
// socket that live in it, so calls on it need no thread switching.
type NS struct {
	Path   string          // "" = the netns of the caller
	Handle *netlink.Handle // netlink requests on this netns
	fd     netns.NsHandle  // None() for the caller's netns
	sock   int             // for ethtool ioctls in this netns; -1 if none
	// raw is a route netlink socket in the netns for requests the
	// library does not make, opened on first use.
	rawOnce sync.Once
	raw     *nl.SocketHandle
	rawErr  error
	// Changed, if set, hears each change a method makes to the netns:
	// the object (a link) and what happened to it ("mtu 1500→1554"). A
	// method that finds what it was asked for already there says
	// nothing. up lists what it changed.
	Changed func(object, what string)
}

// changed tells Changed, if set, about a change to object.
func (n *NS) changed(object, format string, args ...any) {
	if n.Changed != nil {
		n.Changed(object, fmt.Sprintf(format, args...))
	}
}

// Open opens the netns at path ("" = the caller's). Its sockets are made
// inside it on one visit: route netlink only (the library's default also
// opens XFRM and netfilter sockets, each with a visit of its own), and one
// for ethtool.
func Open(path string) (*NS, error) {
	n := &NS{Path: path, fd: netns.None(), sock: -1}
	open := func() error {
		var err error
		if n.Handle, err = netlink.NewHandle(unix.NETLINK_ROUTE); err != nil {
			return err
		}
		n.sock, err = unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		return err
	}
	var err error
	if path == "" {
		err = open()
	} else if n.fd, err = netns.GetFromPath(path); err == nil {
		// Entered through the descriptor, so the sockets and Fd are
		// one namespace even if the name is replaced meanwhile.
		err = onOwnThread(func() error {
			if err := netns.Set(n.fd); err != nil {
				return err
			}
			return open()
		})
	}
	if err != nil {
		n.Close()
		return nil, fmt.Errorf("netns %s: %w", n, err)
	}
	return n, nil
}

// rawRoute is n's own route netlink socket, opened on first use.
func (n *NS) rawRoute() (*nl.SocketHandle, error) {
	if n.Handle == nil {
		return nil, fmt.Errorf("netns %s is closed", n)
	}
	n.rawOnce.Do(func() {
		open := func() error {
			s, err := nl.GetNetlinkSocketAt(netns.None(), netns.None(), unix.NETLINK_ROUTE)
			if err == nil {
				n.raw = &nl.SocketHandle{Socket: s}
			}
			return err
		}
		if !n.fd.IsOpen() {
			n.rawErr = open()
			return
		}
		n.rawErr = onOwnThread(func() error {
			if err := netns.Set(n.fd); err != nil {
				return err
			}
			return open()
		})
	})
	if n.rawErr != nil {
		return nil, fmt.Errorf("netns %s: netlink socket: %w", n, n.rawErr)
	}
	return n.raw, nil
}

// OpenNamed opens the named netns (as `ip netns` names it; "" = the caller's).
func OpenNamed(name string) (*NS, error) { return Open(Path(name)) }

// Close releases the handle and the netns; closing twice is fine. An
// open NS keeps its namespace alive even after the name is deleted.
func (n *NS) Close() {
	if n.Handle != nil {
		n.Handle.Close()
		n.Handle = nil
	}
	if n.fd.IsOpen() {
		n.fd.Close()
		n.fd = netns.None()
	}
	if n.sock >= 0 {
		unix.Close(n.sock)
		n.sock = -1
	}
	if n.raw != nil {
		n.raw.Close()
		n.raw = nil
	}
}

// Fd is the open netns, for netlink calls that take one; -1 for the
// caller's own netns.
func (n *NS) Fd() int { return int(n.fd) }

func (n *NS) String() string {
	if n.Path == "" {
		return "(current)"
	}
	return n.Path
}

// Dump runs a netlink dump, retrying while the kernel reports it was
// interrupted because the table changed under it (NLM_F_DUMP_INTR): the
// partial result could make a caller delete or miss the wrong thing. Every
// list call (links, addresses, routes, neighbours) goes through it.
func Dump[T any](f func() ([]T, error)) ([]T, error) {
	var (
		out []T
		err error
	)
	for range 10 {
		if out, err = f(); !errors.Is(err, netlink.ErrDumpInterrupted) {
			break
		}
	}
	return out, err
}

// InNamed opens the named netns ("" = the caller's) for fn and closes it
// after: for a step that does one thing there.
func InNamed(name string, fn func(*NS) error) error {
	n, err := OpenNamed(name)
	if err != nil {
		return err
	}
	defer n.Close()
	return fn(n)
}
