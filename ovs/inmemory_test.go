package ovs

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/stdr"
	"github.com/ovn-org/libovsdb/database/inmemory"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/server"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/ovs/vswitchd"
)

// inMemoryClient serves the vswitchd schema from libovsdb's in-memory
// server, which checks transaction shape (references, garbage collection,
// indexes) without root or OVS binaries. It does not check named-UUID
// syntax the way ovsdb-server does; TestNamedUUIDsAreValid covers that.
func inMemoryClient(t *testing.T) *Client {
	t.Helper()
	clientModel, err := vswitchd.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	dbModel, errs := model.NewDatabaseModel(vswitchd.Schema(), clientModel)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	// Importing libovsdb/server turns stdr up to verbosity 5 globally, and
	// the in-memory database logs every row through stdr.
	stdr.SetVerbosity(0)
	db := inmemory.NewDatabase(map[string]model.ClientDBModel{"Open_vSwitch": clientModel})
	srv, err := server.NewOvsdbServer(db, dbModel)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "db.sock")
	go func() { _ = srv.Serve("unix", sock) }()
	t.Cleanup(srv.Close)
	testenv.Eventually(t, 5*time.Second, func() error {
		if !srv.Ready() {
			return errors.New("in-memory ovsdb not ready")
		}
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Connect(ctx, "unix:"+sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ops, err := c.ovs.Create(&vswitchd.OpenvSwitch{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.transact(ctx, ops); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestApplyInMemory(t *testing.T) {
	c := inMemoryClient(t)
	ctx := testCtx(t)
	if err := c.Apply(ctx, lab, labBridges()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	writes := c.writes.Load()
	if err := c.Apply(ctx, lab, labBridges()); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if n := c.writes.Load() - writes; n != 0 {
		t.Errorf("second Apply sent %d transactions, want 0", n)
	}
	st, err := c.Status(ctx, lab)
	if err != nil || len(st) != 1 || len(st[0].Ports) != 3 {
		t.Fatalf("Status = %+v, %v; want br1 with 3 ports", st, err)
	}

	// Moving a port to another bridge keeps its rows.
	moved := labBridges()
	moved[0].Ports = moved[0].Ports[:1]
	moved = append(moved, Bridge{Name: "br2", Datapath: "netdev", Ports: labBridges()[0].Ports[1:]})
	vx := &vswitchd.Port{Name: "vxlan1"}
	if err := c.ovs.Get(ctx, vx); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, lab, moved); err != nil {
		t.Fatalf("Apply moving vxlan1: %v", err)
	}
	after := &vswitchd.Port{Name: "vxlan1"}
	if err := c.ovs.Get(ctx, after); err != nil || after.UUID != vx.UUID {
		t.Errorf("vxlan1 after move: %+v, %v; want the same row %s", after, err, vx.UUID)
	}

	if err := c.DeleteLab(ctx, lab); err != nil {
		t.Fatalf("DeleteLab: %v", err)
	}
	var bridges []vswitchd.Bridge
	var ports []vswitchd.Port
	var ifaces []vswitchd.Interface
	for _, rows := range []any{&bridges, &ports, &ifaces} {
		if err := c.ovs.List(ctx, rows); err != nil {
			t.Fatal(err)
		}
	}
	if len(bridges)+len(ports)+len(ifaces) != 0 {
		t.Errorf("rows left after DeleteLab: %d bridges, %d ports, %d interfaces", len(bridges), len(ports), len(ifaces))
	}
}

// TestNamedUUIDsAreValid guards the trap the in-memory server lets through:
// ovsdb-server rejects named UUIDs outside [A-Za-z_][A-Za-z0-9_]*, and
// bridge names such as "br-phy" must not leak into them.
func TestNamedUUIDsAreValid(t *testing.T) {
	c := inMemoryClient(t)
	s, err := c.snapshot(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	bridges := append(labBridges(), Bridge{Name: "br-phy", Datapath: "netdev", LocalMTU: 1554,
		Ports: []Port{{Name: "eth-0"}}})
	ops, err := c.applyOps(s, "lab-with-dashes", bridges)
	if err != nil {
		t.Fatal(err)
	}
	valid := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	inserts := 0
	for _, op := range ops {
		if op.Op == "insert" {
			inserts++
			if !valid.MatchString(op.UUIDName) {
				t.Errorf("insert into %s has named UUID %q", op.Table, op.UUIDName)
			}
		}
	}
	// 2 bridges + 5 ports (3 + 2, local ones included) + 5 interfaces.
	if inserts != 12 {
		t.Errorf("%d inserts, want 12", inserts)
	}
}

func TestValidateRejectsClashingNames(t *testing.T) {
	for _, tc := range []struct {
		name    string
		bridges []Bridge
	}{
		{"duplicate bridge", []Bridge{{Name: "br1"}, {Name: "br1"}}},
		{"port named like a bridge", []Bridge{{Name: "br1"}, {Name: "br2", Ports: []Port{{Name: "br1"}}}}},
		{"port on two bridges", []Bridge{{Name: "br1", Ports: []Port{{Name: "p"}}}, {Name: "br2", Ports: []Port{{Name: "p"}}}}},
		{"empty port name", []Bridge{{Name: "br1", Ports: []Port{{}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := validate(lab, tc.bridges); err == nil {
				t.Error("validate accepted it")
			}
		})
	}
	if err := validate(lab, labBridges()); err != nil {
		t.Errorf("validate(labBridges) = %v", err)
	}
}

func TestValidateRejectsBadPorts(t *testing.T) {
	for _, tc := range []struct {
		name string
		port Port
		want string
	}{
		{"tag over 4095", Port{Name: "p", Tag: 4096}, "not a VLAN ID"},
		{"negative tag", Port{Name: "p", Tag: -1}, "not a VLAN ID"},
		{"the lab's mark", Port{Name: "p", ExternalIDs: map[string]string{LabKey: "other"}}, "lab's own mark"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := validate(lab, []Bridge{{Name: "br1", Ports: []Port{tc.port}}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("validate = %v, want %q", err, tc.want)
			}
		})
	}
}

// TestVLANColumnsConverge sets, changes and clears a port's tag and trunks
// and checks each Apply writes only when they differ, keeping the row.
func TestVLANColumnsConverge(t *testing.T) {
	c := inMemoryClient(t)
	ctx := testCtx(t)
	with := func(tag int, trunks []int) []Bridge {
		b := labBridges()
		b[0].Ports[0].Tag, b[0].Ports[0].Trunks = tag, trunks
		return b
	}
	var uuid string
	for _, step := range []struct {
		name   string
		tag    int
		trunks []int
	}{
		{"untagged, untagged frames only", 0, []int{0}},
		{"access port of VLAN 10", 10, nil},
		{"VLAN 20", 20, nil},
		{"a trunk again", 0, nil},
	} {
		if err := c.Apply(ctx, lab, with(step.tag, step.trunks)); err != nil {
			t.Fatalf("%s: Apply: %v", step.name, err)
		}
		writes := c.writes.Load()
		if err := c.Apply(ctx, lab, with(step.tag, step.trunks)); err != nil || c.writes.Load() != writes {
			t.Errorf("%s: repeated Apply wrote %d transactions (%v), want 0", step.name, c.writes.Load()-writes, err)
		}
		p := &vswitchd.Port{Name: "net1"}
		if err := c.ovs.Get(ctx, p); err != nil {
			t.Fatal(err)
		}
		if uuid == "" {
			uuid = p.UUID
		}
		if intOf(p.Tag) != step.tag || !equalSet(p.Trunks, step.trunks) || p.UUID != uuid {
			t.Errorf("%s: port net1 tag %v trunks %v uuid %s; want tag %d trunks %v, row %s", step.name, p.Tag, p.Trunks, p.UUID, step.tag, step.trunks, uuid)
		}
		st, err := c.Status(ctx, lab)
		if err != nil {
			t.Fatal(err)
		}
		for _, ps := range st[0].Ports {
			if ps.Name == "net1" && (ps.Tag != step.tag || !equalSet(ps.Trunks, step.trunks)) {
				t.Errorf("%s: Status says tag %d trunks %v", step.name, ps.Tag, ps.Trunks)
			}
		}
	}
}

// TestKeepQdiscSharesOneQoSRow: impaired ports point at the lab's one
// linux-noop QoS row, a port that no longer needs it lets go, and
// DeleteLab removes the row, which OVSDB would otherwise keep forever.
func TestKeepQdiscSharesOneQoSRow(t *testing.T) {
	c := inMemoryClient(t)
	ctx := testCtx(t)
	keep := func(net1, vxlan1 bool) []Bridge {
		b := labBridges()
		b[0].Ports[0].KeepQdisc, b[0].Ports[1].KeepQdisc = net1, vxlan1
		return b
	}
	qosOf := func() (rows []vswitchd.QoS, refs map[string]string) {
		if err := c.ovs.List(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		refs = map[string]string{}
		for _, name := range []string{"net1", "vxlan1"} {
			p := &vswitchd.Port{Name: name}
			if err := c.ovs.Get(ctx, p); err == nil && p.QOS != nil {
				refs[name] = *p.QOS
			}
		}
		return rows, refs
	}
	if err := c.Apply(ctx, lab, keep(true, true)); err != nil {
		t.Fatal(err)
	}
	rows, refs := qosOf()
	if len(rows) != 1 || rows[0].Type != "linux-noop" || refs["net1"] != rows[0].UUID || refs["vxlan1"] != rows[0].UUID {
		t.Fatalf("after Apply: QoS rows %+v, port refs %v; want one linux-noop row for both", rows, refs)
	}
	if err := c.Apply(ctx, lab, keep(false, true)); err != nil {
		t.Fatal(err)
	}
	if rows2, refs := qosOf(); len(rows2) != 1 || rows2[0].UUID != rows[0].UUID || refs["net1"] != "" || refs["vxlan1"] != rows[0].UUID {
		t.Errorf("after net1 lets go: QoS rows %+v, refs %v", rows2, refs)
	}
	writes := c.writes.Load()
	if err := c.Apply(ctx, lab, keep(false, true)); err != nil || c.writes.Load() != writes {
		t.Errorf("repeated Apply wrote %d transactions (%v)", c.writes.Load()-writes, err)
	}
	if err := c.DeleteLab(ctx, lab); err != nil {
		t.Fatal(err)
	}
	if rows, _ := qosOf(); len(rows) != 0 {
		t.Errorf("QoS rows left after DeleteLab: %+v", rows)
	}
}
