package nat

import (
	"fmt"
	"os"
	"strings"

	"github.com/ovslab/ovslab/internal/nsutil"
)

// ipForwardPath is read and written from a thread inside the target netns:
// /proc/sys/net resolves to the netns of the thread that opens it, so the
// same path changes only that netns.
const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// SetIPForward sets net.ipv4.ip_forward in the netns at netnsPath ("" = the
// current netns) and returns the previous value ("0" or "1") so that `down`
// can put it back with SetIPForward(path, old == "1"). If the value is
// already the wanted one nothing is written, so a repeated `up` changes
// nothing.
func SetIPForward(netnsPath string, on bool) (old string, err error) {
	want := "0"
	if on {
		want = "1"
	}
	err = nsutil.Do(netnsPath, func() error {
		cur, err := readIPForward()
		if err != nil {
			return err
		}
		old = cur
		if cur == want {
			return nil
		}
		// Writing ip_forward also resets every interface's forwarding
		// flag in this netns; skipping equal writes keeps that rare.
		return os.WriteFile(ipForwardPath, []byte(want+"\n"), 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("ip_forward in %s: %w", nsLabel(netnsPath), err)
	}
	return old, nil
}

// IPForward reports whether net.ipv4.ip_forward is on in the netns at
// netnsPath ("" = the current netns).
func IPForward(netnsPath string) (bool, error) {
	var v string
	err := nsutil.Do(netnsPath, func() error {
		var err error
		v, err = readIPForward()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("ip_forward in %s: %w", nsLabel(netnsPath), err)
	}
	return v == "1", nil
}

func readIPForward() (string, error) {
	b, err := os.ReadFile(ipForwardPath)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// nsLabel names a netns path in error messages; "" would read as nothing.
func nsLabel(netnsPath string) string {
	if netnsPath == "" {
		return "the current netns"
	}
	return "netns " + netnsPath
}
