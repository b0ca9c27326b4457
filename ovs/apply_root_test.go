package ovs

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

const lab = "l3-vxlan"

func labBridges() []Bridge {
	return []Bridge{{
		Name:     "br1",
		Datapath: "netdev",
		LocalMTU: 1554,
		Ports: []Port{
			{Name: "net1", Type: "internal"},
			{Name: "vxlan1", Type: "vxlan", Protected: true,
				Options: map[string]string{"key": "5000", "remote_ip": "172.16.20.100"}},
		},
	}}
}

func TestRootApplyCreatesAndIsIdempotent(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	if err := h.c.Apply(ctx, lab, labBridges()); err != nil {
		t.Fatalf("Apply: %v", err)
	}

	if got := h.vsctl(t, "list-br"); got != "br1" {
		t.Errorf("list-br = %q, want br1", got)
	}
	if got := h.ports(t, "br1"); !slices.Equal(got, []string{"net1", "vxlan1"}) {
		t.Errorf("list-ports br1 = %v, want [net1 vxlan1]", got)
	}
	for _, tc := range []struct{ args, want string }{
		{"get bridge br1 datapath_type", "netdev"},
		{"get bridge br1 external_ids:ovslab-lab", lab},
		{"get port vxlan1 protected", "true"},
		{"get port net1 protected", "false"},
		{"get interface vxlan1 type", "vxlan"},
		{"get interface vxlan1 options", `{key="5000", remote_ip="172.16.20.100"}`},
		{"get interface net1 type", "internal"},
		{"get interface br1 type", "internal"},
		{"get interface br1 mtu_request", "1554"},
		{"get port net1 external_ids:ovslab-lab", lab},
		{"get interface vxlan1 external_ids:ovslab-lab", lab},
	} {
		if got := h.vsctl(t, strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("ovs-vsctl %s = %s, want %s", tc.args, got, tc.want)
		}
	}

	// The internal port becomes a kernel device in the host netns once
	// vswitchd has opened it.
	for _, name := range []string{"net1", "br1", "vxlan1"} {
		if err := h.c.WaitInterface(ctx, name); err != nil {
			t.Fatalf("WaitInterface(%s): %v", name, err)
		}
	}
	testenv.Run(t, "ip", "-n", h.ns, "link", "show", "net1")

	before, writes := h.rows(t), h.c.writes.Load()
	if err := h.c.Apply(ctx, lab, labBridges()); err != nil {
		t.Fatalf("second Apply: %v", err)
	}
	if n := h.c.writes.Load() - writes; n != 0 {
		t.Errorf("second Apply sent %d transactions, want 0", n)
	}
	if after := h.rows(t); !slices.Equal(before, after) {
		t.Errorf("rows changed by second Apply:\nbefore %v\nafter  %v", before, after)
	}

	st, err := h.c.Status(ctx, lab)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	if len(st) != 1 || st[0].Name != "br1" || !st[0].Owned || len(st[0].Ports) != 3 {
		t.Fatalf("Status = %+v, want br1 with 3 ports", st)
	}
	for _, p := range st[0].Ports {
		if p.OFPort <= 0 || p.Error != "" {
			t.Errorf("port %s: ofport %d error %q, want opened", p.Name, p.OFPort, p.Error)
		}
		if p.Name == "vxlan1" && (!p.Protected || p.Options["key"] != "5000" || p.Type != "vxlan") {
			t.Errorf("vxlan1 status = %+v", p)
		}
	}
}

func TestRootWaitInterfaceReportsVswitchdError(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	br := []Bridge{{Name: "br1", Datapath: "netdev", Ports: []Port{{Name: "ghost0"}}}}
	if err := h.c.Apply(ctx, lab, br); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	err := h.c.WaitInterface(ctx, "ghost0")
	if err == nil || !strings.Contains(err.Error(), "ghost0") || !strings.Contains(err.Error(), "No such device") {
		t.Fatalf("WaitInterface(ghost0) = %v, want vswitchd's missing-device error", err)
	}
	st, err := h.c.Status(ctx, lab)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st[0].Ports {
		if p.Name == "ghost0" && p.Error == "" {
			t.Errorf("Status ghost0 has no error: %+v", p)
		}
	}
}

func TestRootApplyRepairsDrift(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	two := append(labBridges(), Bridge{Name: "br2", Datapath: "netdev",
		Ports: []Port{{Name: "vxlan2", Type: "vxlan", Protected: true,
			Options: map[string]string{"key": "6000", "remote_ip": "172.16.20.100"}}}})
	apply := func(step string, bridges []Bridge) {
		t.Helper()
		if err := h.c.Apply(ctx, lab, bridges); err != nil {
			t.Fatalf("%s: Apply: %v", step, err)
		}
	}
	apply("create", two)

	h.vsctl(t, "del-port", "br1", "vxlan1")
	apply("after del-port", two)
	if !contains(h.ports(t, "br1"), "vxlan1") || h.vsctl(t, "get", "port", "vxlan1", "protected") != "true" {
		t.Errorf("vxlan1 not recreated as a protected port: %v", h.ports(t, "br1"))
	}

	h.vsctl(t, "set", "interface", "vxlan1", "options:key=9999", "options:remote_ip=10.9.9.9",
		"--", "set", "port", "vxlan1", "protected=false",
		"--", "set", "interface", "br1", "mtu_request=1400",
		"--", "set", "bridge", "br2", "datapath_type=system")
	apply("after hand edits", two)
	for _, tc := range []struct{ args, want string }{
		{"get interface vxlan1 options", `{key="5000", remote_ip="172.16.20.100"}`},
		{"get port vxlan1 protected", "true"},
		{"get interface br1 mtu_request", "1554"},
		{"get bridge br2 datapath_type", "netdev"},
	} {
		if got := h.vsctl(t, strings.Fields(tc.args)...); got != tc.want {
			t.Errorf("after repair: ovs-vsctl %s = %s, want %s", tc.args, got, tc.want)
		}
	}

	br1UUID := h.vsctl(t, "get", "bridge", "br1", "_uuid")
	fewer := labBridges()
	fewer[0].Ports = fewer[0].Ports[:1] // drop vxlan1
	fewer[0].LocalMTU = 0
	apply("port and bridge removed", fewer)
	if got := h.ports(t, "br1"); !slices.Equal(got, []string{"net1"}) {
		t.Errorf("list-ports br1 = %v, want [net1]", got)
	}
	if h.vsctlErr("get", "interface", "vxlan1", "name") == nil {
		t.Error("interface vxlan1 still exists")
	}
	if h.vsctlErr("br-exists", "br2") == nil {
		t.Error("bridge br2 still exists")
	}
	if h.vsctlErr("get", "interface", "vxlan2", "name") == nil {
		t.Error("interface vxlan2 of the deleted bridge still exists")
	}
	if got := h.vsctl(t, "get", "interface", "br1", "mtu_request"); got != "[]" {
		t.Errorf("br1 mtu_request = %s, want [] (cleared)", got)
	}
	if got := h.vsctl(t, "get", "bridge", "br1", "_uuid"); got != br1UUID {
		t.Errorf("br1 was recreated: uuid %s, was %s", got, br1UUID)
	}
}

func TestRootApplyRefusesRowsItDoesNotOwn(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	h.vsctl(t, "add-br", "br1", "--", "set", "bridge", "br1", "datapath_type=netdev")
	before := h.rows(t)

	err := h.c.Apply(ctx, lab, labBridges())
	if !errors.Is(err, ErrNotOwned) {
		t.Fatalf("Apply over an unmarked br1 = %v, want ErrNotOwned", err)
	}
	t.Logf("refused: %v", err)
	if !strings.Contains(err.Error(), `bridge "br1" exists and is not owned by lab `+lab) {
		t.Errorf("error %q does not name br1 and the lab", err)
	}
	if after := h.rows(t); !slices.Equal(before, after) {
		t.Errorf("unmarked br1 was touched:\nbefore %v\nafter  %v", before, after)
	}

	// A port name taken on someone else's bridge stops the whole Apply,
	// before br3 is created.
	h.vsctl(t, "add-port", "br1", "p1", "--", "set", "interface", "p1", "type=internal")
	err = h.c.Apply(ctx, lab, []Bridge{{Name: "br3", Datapath: "netdev", Ports: []Port{{Name: "p1"}}}})
	if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), `port "p1"`) {
		t.Fatalf("Apply over an unmarked port p1 = %v, want ErrNotOwned naming p1", err)
	}
	if h.vsctlErr("br-exists", "br3") == nil {
		t.Error("br3 was created although the Apply failed its ownership check")
	}

	// Another lab's bridge is not this lab's either.
	other := []Bridge{{Name: "br9", Datapath: "netdev"}}
	if err := h.c.Apply(ctx, "other-lab", other); err != nil {
		t.Fatal(err)
	}
	err = h.c.Apply(ctx, lab, other)
	if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), "other-lab") {
		t.Fatalf("Apply over other-lab's br9 = %v, want ErrNotOwned naming other-lab", err)
	}
}

// TestRootApplyReattachesRecreatedPort: a veth deleted and made again under
// its name (a recreated container) is a new device behind an old port.
// Marked Recreated, Apply re-attaches it: the port gets a new row and
// vswitchd opens the new device. (vswitchd refreshes the ifindex column by
// itself, but its userspace datapath keeps reading the dead device; that
// traffic-level failure is shown by labs' drift test, where a recreated
// container must answer pings.) Unmarked, nothing is written.
func TestRootApplyReattachesRecreatedPort(t *testing.T) {
	h := startHost(t)
	ctx := testCtx(t)
	veth := func() string {
		testenv.Run(t, "ip", "-n", h.ns, "link", "add", "rv0", "type", "veth", "peer", "name", "rv0p")
		testenv.Run(t, "ip", "-n", h.ns, "link", "set", "rv0", "up")
		out := testenv.Run(t, "ip", "-n", h.ns, "-o", "link", "show", "rv0")
		return strings.SplitN(out, ":", 2)[0]
	}
	bridges := func(recreated bool) []Bridge {
		return []Bridge{{Name: "br1", Datapath: "netdev", Ports: []Port{{Name: "rv0", Recreated: recreated}}}}
	}
	openedAs := func(ifindex string) {
		t.Helper()
		testenv.Eventually(t, 10*time.Second, func() error {
			if got := h.vsctl(t, "get", "interface", "rv0", "ifindex"); got != ifindex {
				return fmt.Errorf("vswitchd has rv0 as ifindex %s, want %s", got, ifindex)
			}
			return nil
		})
	}
	first := veth()
	if err := h.c.Apply(ctx, lab, bridges(false)); err != nil {
		t.Fatal(err)
	}
	openedAs(first)
	before := h.vsctl(t, "get", "port", "rv0", "_uuid")

	testenv.Run(t, "ip", "-n", h.ns, "link", "del", "rv0")
	second := veth()
	if second == first {
		t.Fatalf("the kernel reused ifindex %s; the test cannot tell the devices apart", first)
	}
	if err := h.c.Apply(ctx, lab, bridges(true)); err != nil {
		t.Fatal(err)
	}
	openedAs(second)
	after := h.vsctl(t, "get", "port", "rv0", "_uuid")
	if after == before {
		t.Errorf("port rv0 kept its row %s: it was not re-attached", before)
	}
	n := h.c.writes.Load()
	if err := h.c.Apply(ctx, lab, bridges(false)); err != nil {
		t.Fatal(err)
	}
	if h.c.writes.Load() != n {
		t.Error("an Apply with nothing recreated wrote to OVSDB")
	}
}
