package ovs

import (
	"strings"
	"testing"
)

// TestRootApplyTagAndExternalIDs: a port's tag and the external_ids the
// caller asks for are enforced like any other column, while keys the
// caller does not manage survive.
func TestRootApplyTagAndExternalIDs(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	bridges := func(tag int) []Bridge {
		b := labBridges()
		b[0].Ports = append(b[0].Ports, Port{Name: "vdoc1", Type: "internal", Tag: tag,
			ExternalIDs: ContainerExternalIDs("doc1", "eth0")})
		return b
	}
	apply := func(step string, bridges []Bridge) {
		t.Helper()
		if err := h.c.Apply(ctx, lab, bridges); err != nil {
			t.Fatalf("%s: Apply: %v", step, err)
		}
	}
	want := func(step string, checks ...[2]string) {
		t.Helper()
		for _, c := range checks {
			if got := h.vsctl(t, strings.Fields(c[0])...); got != c[1] {
				t.Errorf("%s: ovs-vsctl %s = %s, want %s", step, c[0], got, c[1])
			}
		}
	}
	apply("create", bridges(0))
	want("create",
		[2]string{"get interface vdoc1 external_ids", `{container_id=doc1, container_iface=eth0, ovslab-lab=` + lab + `}`},
		[2]string{"get port vdoc1 tag", "[]"},
		[2]string{"get interface net1 external_ids", `{ovslab-lab=` + lab + `}`},
		// ovs-docker's own lookup.
		[2]string{"--data=bare --no-heading --columns=name find interface external_ids:container_id=doc1 external_ids:container_iface=eth0", "vdoc1"},
	)

	// What `ovs-docker set-vlan` does, plus a tool's own key and a
	// changed key of ours.
	h.vsctl(t, "set", "port", "vdoc1", "tag=10",
		"--", "set", "interface", "vdoc1", "external_ids:container_iface=eth9", "external_ids:user=keep")
	apply("after hand edits", bridges(0))
	want("after hand edits",
		[2]string{"get port vdoc1 tag", "[]"},
		[2]string{"get interface vdoc1 external_ids:container_iface", "eth0"},
		[2]string{"get interface vdoc1 external_ids:user", "keep"},
	)

	apply("tagged", bridges(20))
	want("tagged", [2]string{"get port vdoc1 tag", "20"})
	apply("untagged again", bridges(0))
	want("untagged again", [2]string{"get port vdoc1 tag", "[]"})
	// tag=0 is not "no tag" to OVS: it makes an access port.
	h.vsctl(t, "set", "port", "vdoc1", "tag=0")
	apply("after tag=0", bridges(0))
	want("after tag=0", [2]string{"get port vdoc1 tag", "[]"})

	writes := h.c.writes.Load()
	apply("repeat", bridges(0))
	if n := h.c.writes.Load() - writes; n != 0 {
		t.Errorf("repeated Apply sent %d transactions, want 0", n)
	}
}
