package nat

import "github.com/ovslab/ovslab/internal/nsutil"

const ipForward = "net/ipv4/ip_forward"

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
	return nsutil.SetSysctl(netnsPath, ipForward, want)
}

// IPForward reports whether net.ipv4.ip_forward is on in the netns at
// netnsPath ("" = the current netns).
func IPForward(netnsPath string) (bool, error) {
	v, err := nsutil.Sysctl(netnsPath, ipForward)
	return v == "1", err
}
