package ovs

import (
	"slices"
	"testing"
)

// TestApplySaysWhatItChanged: Client.Changed hears each change a committed
// Apply made, in the file's words, and nothing when Apply had nothing to
// do: up's "what changed" line is only as true as these notes.
func TestApplySaysWhatItChanged(t *testing.T) {
	c := inMemoryClient(t)
	ctx := testCtx(t)
	var heard []string
	c.Changed = func(object, what string) { heard = append(heard, object+" "+what) }
	apply := func(name string, bridges []Bridge, want ...string) {
		t.Helper()
		heard = nil
		if err := c.Apply(ctx, lab, bridges); err != nil {
			t.Fatalf("%s: Apply: %v", name, err)
		}
		slices.Sort(heard)
		slices.Sort(want)
		if !slices.Equal(heard, want) {
			t.Errorf("%s: heard %q, want %q", name, heard, want)
		}
	}
	apply("fresh", labBridges(), "bridge br1 created", "port net1 added to br1", "port vxlan1 added to br1")
	apply("again", labBridges())

	changed := labBridges()
	changed[0].LocalMTU = 1600
	changed[0].Ports[0].Tag = 10
	changed[0].Ports[1].Options = map[string]string{"key": "5000", "remote_ip": "172.16.20.101"}
	apply("changed", changed,
		"br1 mtu 1554→1600",
		"port net1 tag untagged→10",
		"port vxlan1 options map[key:5000 remote_ip:172.16.20.100]→map[key:5000 remote_ip:172.16.20.101]")
	apply("again", changed)

	moved := labBridges()
	moved[0].Ports = moved[0].Ports[:1]
	apply("vxlan1 dropped", moved, "br1 mtu 1600→1554", "port net1 tag 10→untagged", "port vxlan1 removed")
	apply("bridge dropped", nil, "bridge br1 removed")
}
