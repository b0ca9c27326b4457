package containers

import (
	"strings"
	"testing"
)

func TestPlumbRejectsLongNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		link Link
		want string
	}{
		{"host veth", Link{HostVeth: "ovslabtest-veth0x", Name: "eth0", ContainerPid: 1}, `host veth name "ovslabtest-veth0x" is 17 bytes`},
		{"container side", Link{HostVeth: "v1", Name: "ovslabtest-eth-0", ContainerPid: 1}, `container interface name "ovslabtest-eth-0" is 16 bytes`},
		{"slash", Link{HostVeth: "v/1", Name: "eth0", ContainerPid: 1}, "not a valid interface name"},
		{"no pid", Link{HostVeth: "v1", Name: "eth0"}, "not a running process"},
		{"no container ID", Link{HostVeth: "v1", Name: "eth0", ContainerPid: 1}, "no container ID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for fn, err := range map[string]error{"Plumb": func() error { _, err := Plumb(tc.link); return err }(), "Inspect": func() error { _, err := Inspect(tc.link); return err }()} {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Errorf("%s = %v, want %q", fn, err, tc.want)
				}
			}
		})
	}
	if err := Unplumb("", "ovslabtest-veth0x"); err == nil || !strings.Contains(err.Error(), "at most 15 bytes") {
		t.Errorf("Unplumb(long) = %v", err)
	}
}
