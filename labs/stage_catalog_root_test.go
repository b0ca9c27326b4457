package labs

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/ovslab/ovslab/topology"
)

// exercises are the catalog's exercises in stages, each with the repairs
// its stage texts hint at, as a student types them (ovslab exec LAB NODE
// -- CMD).
var exercises = []struct {
	name, lab string
	repairs   map[string][][]string // stage → node and command of each repair
}{
	{"mtu-blackhole", "sx-mtu", map[string][][]string{
		"blackhole": {{"host1", "ip", "link", "set", "eth0", "mtu", "1554"}},
		"router":    {{"router", "ip", "link", "set", "host2", "mtu", "1554"}},
	}},
	{"vxlan-key", "sx-key", map[string][][]string{
		"wrong-key":    {{"host2", "ovs-vsctl", "set", "interface", "vx5000-host1", "options:key=5000"}},
		"wrong-remote": {{"host1", "ovs-vsctl", "set", "interface", "vx6000-host2", "options:remote_ip=172.16.20.100"}},
		"tunnel-down":  {{"host2", "ovs-vsctl", "set", "interface", "vx5000-host1", "type=vxlan"}},
	}},
	{"nat-gateway", "sx-nat", map[string][][]string{
		"no-nat":     {{"host1", "iptables", "-t", "nat", "-A", "POSTROUTING", "-s", "10.0.1.0/24", "-o", "br-phy", "-j", "MASQUERADE"}},
		"no-forward": {{"host1", "sysctl", "-w", "net.ipv4.ip_forward=1"}},
		"firewall":   {{"host1", "iptables", "-D", "FORWARD", "1"}},
	}},
	{"vlan-leak", "sx-vlan", map[string][][]string{
		"leak":     {{"host1", "ovs-vsctl", "set", "port", "vblue1", "tag=20"}},
		"untagged": {{"host2", "ovs-vsctl", "set", "port", "vred2", "tag=10"}},
	}},
}

// TestRootStageCatalog walks every exercise of the catalog as a student
// does: each stage is red on entering it and green once repaired by hand
// as its text hints; reset to the first stage and reset --stage to the
// last land where entering them did. Two copies of one exercise in
// different stages do not touch each other.
func TestRootStageCatalog(t *testing.T) {
	requireLabTools(t)
	for _, ex := range exercises {
		t.Run(ex.name, func(t *testing.T) {
			t.Parallel()
			top, err := topology.Parse(ex.name, []byte(catalogText(t, ex.name)))
			if err != nil {
				t.Fatal(err)
			}
			if len(top.Stages) < 2 {
				t.Fatalf("%s has %d stages, want several", ex.name, len(top.Stages))
			}
			cleanupLab(t, ex.lab)
			upCopy(t, catalogText(t, ex.name), ex.lab)
			onEntry := map[string][]string{}
			for i, s := range top.Stages {
				if i > 0 {
					enterStage(t, ex.lab, s.Name)
				}
				rep := stageCheck(t, ex.lab)
				onEntry[s.Name] = rep.redExpects()
				if rep.OK || len(onEntry[s.Name]) == 0 || rep.Stage != s.Name {
					t.Fatalf("stage %s on entry: ok %v, failed expectations %v, graded stage %q; want red, in that stage", s.Name, rep.OK, onEntry[s.Name], rep.Stage)
				}
				if !slices.ContainsFunc(rep.Results, func(r stageResult) bool { return r.Kind == "expect" && r.Stage == s.Name }) && len(s.Expect) > 0 {
					t.Errorf("stage %s: check graded none of the stage's own expectations", s.Name)
				}
				repairs, ok := ex.repairs[s.Name]
				if !ok {
					t.Fatalf("no repair for stage %s", s.Name)
				}
				for _, r := range repairs {
					student(t, ex.lab, r[0], r[1:]...)
				}
				requireReds(t, ex.lab, s.Name, "stage "+s.Name+" after the hinted repair")
			}
			first, last := top.Stages[0].Name, top.Stages[len(top.Stages)-1].Name
			resetLab(t, ex.lab, first)
			requireReds(t, ex.lab, first, "reset --stage "+first, onEntry[first]...)
			resetLab(t, ex.lab, last)
			requireReds(t, ex.lab, last, "reset --stage "+last, onEntry[last]...)
			if err := Down(context.Background(), ex.lab, DownOptions{}); err != nil {
				t.Fatalf("down: %v", err)
			}
			assertGone(t, ex.lab)
		})
	}
	t.Run("copies", func(t *testing.T) {
		t.Parallel()
		text := catalogText(t, "vxlan-key")
		const a, b = "sx-keya", "sx-keyb"
		net1 := "net1 is one segment across both hosts: host1 and host2 must agree on its tunnel"
		net2 := "net2 is one segment across both hosts: host1 and host2 must agree on its tunnel"
		for _, lab := range []string{a, b} {
			cleanupLab(t, lab)
			upCopy(t, text, lab)
		}
		enterStage(t, a, "wrong-remote")
		requireReds(t, a, "wrong-remote", "copy a in wrong-remote", net2)
		requireReds(t, b, "wrong-key", "copy b in wrong-key", net1)
		student(t, a, "host1", "ovs-vsctl", "set", "interface", "vx6000-host2", "options:remote_ip=172.16.20.100")
		requireReds(t, a, "wrong-remote", "copy a repaired")
		requireReds(t, b, "wrong-key", "copy b after a's repair", net1)
		idsB := containerIDs(t, b+"-doc1", b+"-doc3")
		resetLab(t, a, "")
		requireReds(t, a, "wrong-remote", "copy a reset", net2)
		requireReds(t, b, "wrong-key", "copy b after a's reset", net1)
		if got := containerIDs(t, b+"-doc1", b+"-doc3"); !maps.Equal(got, idsB) {
			t.Errorf("resetting copy a made copy b's containers anew: %v -> %v", idsB, got)
		}
		for _, lab := range []string{a, b} {
			if err := Down(context.Background(), lab, DownOptions{}); err != nil {
				t.Fatalf("down %s: %v", lab, err)
			}
			assertGone(t, lab)
		}
	})
}
