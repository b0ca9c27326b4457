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
