package nsutil

import (
	"fmt"
	"strings"

	"github.com/safchain/ethtool"
)

// TxChecksumOff turns off every tx-checksum-* feature of ifname in the
// netns at path ("" = current). With OVS's userspace datapath a packet that
// leaves a veth with its checksum left to "hardware" reaches OVS's
// AF_PACKET socket unfinished and is dropped by the receiver: ping works,
// TCP carries nothing. This holds for container veths and underlay veths
// alike. ethtool is an ioctl on a socket, and a socket only sees devices of
// the netns it was opened in, hence Do.
func TxChecksumOff(path, ifname string) error {
	err := Do(path, func() error {
		e, err := ethtool.NewEthtool()
		if err != nil {
			return err
		}
		defer e.Close()
		on, err := txChecksumOn(e, ifname)
		if err != nil || len(on) == 0 {
			return err
		}
		change := make(map[string]bool, len(on))
		for _, f := range on {
			change[f] = false
		}
		if err := e.Change(ifname, change); err != nil {
			return err
		}
		if on, err = txChecksumOn(e, ifname); err == nil && len(on) > 0 {
			err = fmt.Errorf("%s still on after turning it off", strings.Join(on, ", "))
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("turn off TX checksum offload on %s (netns %s): %w", ifname, orCurrent(path), err)
	}
	return nil
}

// TxChecksumIsOff reports whether every tx-checksum-* feature of ifname is
// off; false when it cannot tell.
func TxChecksumIsOff(path, ifname string) bool {
	off := false
	_ = Do(path, func() error {
		e, err := ethtool.NewEthtool()
		if err != nil {
			return err
		}
		defer e.Close()
		on, err := txChecksumOn(e, ifname)
		off = err == nil && len(on) == 0
		return err
	})
	return off
}

// txChecksumOn lists the active tx-checksum-* features; "tx-checksumming"
// in `ethtool -k` is off only when all of them are.
func txChecksumOn(e *ethtool.Ethtool, ifname string) ([]string, error) {
	feats, err := e.FeaturesWithState(ifname)
	if err != nil {
		return nil, err
	}
	var on []string
	for name, st := range feats {
		if strings.HasPrefix(name, "tx-checksum-") && st.Active {
			on = append(on, name)
		}
	}
	return on, nil
}

func orCurrent(path string) string {
	if path == "" {
		return "(current)"
	}
	return path
}
