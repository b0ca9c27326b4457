package nsutil

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TxChecksumOff turns off TX checksum offload on ifname in the netns at
// path ("" = current). With OVS's userspace datapath a packet that leaves
// a veth with its checksum left to "hardware" reaches OVS's AF_PACKET
// socket unfinished and is dropped by the receiver: ping works, TCP
// carries nothing. This holds for container veths and underlay veths
// alike. ethtool is an ioctl on a socket, and a socket only sees devices
// of the netns it was opened in.
func TxChecksumOff(path, ifname string) error {
	n, err := Open(path)
	if err != nil {
		return fmt.Errorf("turn off TX checksum offload on %s: %w", ifname, err)
	}
	defer n.Close()
	return n.TxChecksumOff(ifname)
}

// TxChecksumOff turns off TX checksum offload on ifname in n.
func (n *NS) TxChecksumOff(ifname string) error {
	on, err := n.txChecksum(ifname, unix.ETHTOOL_GTXCSUM, 0)
	if err == nil && on {
		if _, err = n.txChecksum(ifname, unix.ETHTOOL_STXCSUM, 0); err == nil {
			if on, err = n.txChecksum(ifname, unix.ETHTOOL_GTXCSUM, 0); err == nil && on {
				err = fmt.Errorf("still on after turning it off")
			}
		}
	}
	if err != nil {
		return fmt.Errorf("turn off TX checksum offload on %s (netns %s): %w", ifname, n, err)
	}
	return nil
}

// TxChecksumIsOff reports whether TX checksum offload of ifname in n is
// off; false when it cannot tell.
func (n *NS) TxChecksumIsOff(ifname string) bool {
	on, err := n.txChecksum(ifname, unix.ETHTOOL_GTXCSUM, 0)
	return err == nil && !on
}

// txChecksum runs the legacy ethtool command cmd (ETHTOOL_GTXCSUM or
// ETHTOOL_STXCSUM with data) on ifname in the current netns. The kernel
// maps it to every tx-checksum-* feature at once: get is on if any is
// (what `ethtool -k` shows as tx-checksumming), set changes them all. One
// small ioctl, where the feature-string interface costs several large
// ones per interface, and up checks two per container.
func (n *NS) txChecksum(ifname string, cmd, data uint32) (bool, error) {
	if n.sock < 0 {
		return false, fmt.Errorf("no ioctl socket in netns %s", n)
	}
	v := struct{ cmd, data uint32 }{cmd, data}
	var ifr struct {
		name [unix.IFNAMSIZ]byte
		data unsafe.Pointer
		_    [16]byte // the rest of struct ifreq's union
	}
	if len(ifname) >= unix.IFNAMSIZ {
		return false, fmt.Errorf("interface name %q too long", ifname)
	}
	copy(ifr.name[:], ifname)
	ifr.data = unsafe.Pointer(&v)
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(n.sock), unix.SIOCETHTOOL, uintptr(unsafe.Pointer(&ifr))); errno != 0 {
		return false, fmt.Errorf("ethtool on %s: %w", ifname, errno)
	}
	return v.data != 0, nil
}
