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
// last land where entering them did. Two copies of one exercise (a second
// copy of vxlan-key stays in its first stage) do not touch each other.
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
			// A second copy of one exercise stays in its first stage
			// while the first moves on, repairs and resets.
			other := ""
			if ex.name == "vxlan-key" {
				other = ex.lab + "b" // not LAB-x: no name of one copy starts with the other's and a dash
				cleanupLab(t, other)
				upCopy(t, catalogText(t, ex.name), other)
			}
			otherRed := []string{"net1 is one segment across both hosts: host1 and host2 must agree on its tunnel"}
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
				if other != "" && i == 1 {
					requireReds(t, other, top.Stages[0].Name, "the other copy, in its first stage", otherRed...)
				}
			}
			var idsOther map[string]string
			if other != "" {
				idsOther = containerIDs(t, other+"-doc1", other+"-doc3")
			}
			first, last := top.Stages[0].Name, top.Stages[len(top.Stages)-1].Name
			resetLab(t, ex.lab, first)
			requireReds(t, ex.lab, first, "reset --stage "+first, onEntry[first]...)
			resetLab(t, ex.lab, last)
			requireReds(t, ex.lab, last, "reset --stage "+last, onEntry[last]...)
			if other != "" {
				requireReds(t, other, top.Stages[0].Name, "the other copy, after the first's resets", otherRed...)
				if got := containerIDs(t, other+"-doc1", other+"-doc3"); !maps.Equal(got, idsOther) {
					t.Errorf("resetting one copy made the other's containers anew: %v -> %v", idsOther, got)
				}
				if err := Down(context.Background(), other, DownOptions{}); err != nil {
					t.Fatalf("down %s: %v", other, err)
				}
				assertGone(t, other)
			}
			if err := Down(context.Background(), ex.lab, DownOptions{}); err != nil {
				t.Fatalf("down: %v", err)
			}
			assertGone(t, ex.lab)
		})
	}
}
