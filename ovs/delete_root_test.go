package ovs

import (
	"slices"
	"testing"
)

func TestRootDeleteLabRemovesOnlyTheLab(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	h.vsctl(t, "add-br", "user-br", "--", "set", "bridge", "user-br", "datapath_type=netdev",
		"--", "add-port", "user-br", "user-p", "--", "set", "interface", "user-p", "type=internal")
	bridges := append(labBridges(), Bridge{Name: "br2", Datapath: "netdev", Ports: []Port{{Name: "net2", Type: "internal"}}})
	if err := h.c.Apply(ctx, lab, bridges); err != nil {
		t.Fatal(err)
	}
	if err := h.c.Apply(ctx, "other-lab", []Bridge{{Name: "br9", Datapath: "netdev"}}); err != nil {
		t.Fatal(err)
	}
	// A port of the lab on a bridge it does not own (made by hand: Apply
	// never puts ports on unowned bridges) must go, and the bridge stay.
	h.vsctl(t, "add-port", "user-br", "lab-p",
		"--", "set", "port", "lab-p", "external_ids:ovslab-lab="+lab,
		"--", "set", "interface", "lab-p", "type=internal", "external_ids:ovslab-lab="+lab)
	userBr := h.vsctl(t, "get", "bridge", "user-br", "_uuid")

	if err := h.c.DeleteLab(ctx, lab); err != nil {
		t.Fatalf("DeleteLab: %v", err)
	}
	if got := h.vsctl(t, "list-br"); got != "br9\nuser-br" {
		t.Errorf("list-br after DeleteLab = %q, want br9 and user-br", got)
	}
	if got := h.ports(t, "user-br"); !slices.Equal(got, []string{"user-p"}) {
		t.Errorf("user-br ports = %v, want [user-p]", got)
	}
	if got := h.vsctl(t, "get", "bridge", "user-br", "_uuid"); got != userBr {
		t.Errorf("user-br recreated: %s, was %s", got, userBr)
	}
	for _, table := range []string{"Bridge", "Port", "Interface"} {
		if got := h.vsctl(t, "--columns=name", "find", table, "external_ids:ovslab-lab="+lab); got != "" {
			t.Errorf("%s rows of the lab left: %s", table, got)
		}
	}
	st, err := h.c.Status(ctx, lab)
	if err != nil || len(st) != 0 {
		t.Errorf("Status after DeleteLab = %+v, %v; want nothing", st, err)
	}

	writes := h.c.writes.Load()
	if err := h.c.DeleteLab(ctx, lab); err != nil {
		t.Fatalf("second DeleteLab: %v", err)
	}
	if n := h.c.writes.Load() - writes; n != 0 {
		t.Errorf("second DeleteLab sent %d transactions, want 0", n)
	}
}
