package labs

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestRootPermanentNeighbours: by default every container and gateway
// knows its segment's addresses as permanent neighbours right after up
// (so nothing ARPs, and nothing floods); a ping still passes and learns
// nothing new. With neighbours: dynamic, up on the running lab removes
// them and ARP fills the table again; down leaves nothing (the entries
// live in the containers' and hosts' netns, which go with the lab).
func TestRootPermanentNeighbours(t *testing.T) {
	requireLabTools(t)
	const lab = "neigh-static"
	cleanupLab(t, lab)
	text := labYAML(t, lab, "ns")
	upLab(t, text)

	doc1 := containerPid(t, "nsdoc1")
	want := map[string]string{
		"10.0.1.1":  "02:42:0a:00:01:01", // the gateway, by the MAC up fixed on its port
		"10.0.1.20": "02:42:0a:00:01:14", // nsdoc3 on host2
	}
	got := permanentNeighbours(t, "container nsdoc1", mustOut(t, "container nsdoc1")(inNetnsOf(doc1, "ip", "-4", "neigh", "show", "dev", "eth0")))
	if !equalMaps(got, want) {
		t.Errorf("nsdoc1's permanent neighbours = %v, want %v", got, want)
	}
	gw := permanentNeighbours(t, "host1 net1", mustOut(t, "host1")(inHost(lab, "host1", "ip", "-4", "neigh", "show", "dev", "net1")))
	if gw["10.0.1.10"] != "02:42:0a:00:01:0a" || gw["10.0.1.20"] != "02:42:0a:00:01:14" || len(gw) != 2 {
		t.Errorf("gateway net1's permanent neighbours = %v, want nsdoc1's and nsdoc3's", gw)
	}
	link := string(mustOut(t, "host1")(inHost(lab, "host1", "ip", "link", "show", "net1")))
	if !strings.Contains(link, "02:42:0a:00:01:01") {
		t.Errorf("gateway port net1 lacks its fixed MAC 02:42:0a:00:01:01:\n%s", link)
	}
	// Each bridge holds every MAC of its network, static, on the port
	// that leads to it: a veth, the gateway's port, the tunnel.
	wantFDB := map[string]map[string]string{
		"host1": {"02:42:0a:00:01:0a": "vnsdoc1", "02:42:0a:00:01:01": "net1", "02:42:0a:00:01:14": "tunnel to host2"},
		"host2": {"02:42:0a:00:01:0a": "tunnel to host1", "02:42:0a:00:01:01": "tunnel to host1", "02:42:0a:00:01:14": "vnsdoc3"},
	}
	requireFDB(t, lab, "br1", wantFDB)
	mustReach(t, doc1, "nsdoc1", "10.0.1.20")
	mustReach(t, doc1, "nsdoc1", "10.0.2.20") // routed by the gateway, which knows nsdoc4
	// Learning does not move them, and what vswitchd lost up puts back.
	requireFDB(t, lab, "br1", wantFDB)
	mustOut(t, "fdb/flush")(appctl(lab, "host2", "fdb/flush", "br1"))
	upLab(t, text)
	requireFDB(t, lab, "br1", wantFDB)
	if out := mustOut(t, "nsdoc1")(inNetnsOf(doc1, "ip", "-4", "neigh", "show")); dynamicNeighbours(out) != 0 {
		t.Errorf("nsdoc1 learned neighbours by ARP, want none with every one permanent:\n%s", out)
	}

	// Turned off on the running lab: the entries go, ARP comes back.
	upLab(t, edit(t, text, "\nhosts:", "\nneighbours: dynamic\nhosts:"))
	if got := permanentNeighbours(t, "container nsdoc1", mustOut(t, "nsdoc1")(inNetnsOf(doc1, "ip", "-4", "neigh", "show", "dev", "eth0"))); len(got) != 0 {
		t.Errorf("with neighbours: dynamic nsdoc1 still has permanent neighbours %v", got)
	}
	if gw := permanentNeighbours(t, "host1 net1", mustOut(t, "host1")(inHost(lab, "host1", "ip", "-4", "neigh", "show", "dev", "net1"))); len(gw) != 0 {
		t.Errorf("with neighbours: dynamic gateway net1 still has permanent neighbours %v", gw)
	}
	requireFDB(t, lab, "br1", map[string]map[string]string{"host1": {}, "host2": {}})
	mustReach(t, doc1, "nsdoc1", "10.0.1.20")
	if n := dynamicNeighbours(mustOut(t, "nsdoc1")(inNetnsOf(doc1, "ip", "-4", "neigh", "show", "dev", "eth0"))); n == 0 {
		t.Error("with neighbours: dynamic nsdoc1 learned no neighbour by ARP after a ping")
	}

	// Back on, then down.
	upLab(t, text)
	if got := permanentNeighbours(t, "container nsdoc1", mustOut(t, "nsdoc1")(inNetnsOf(doc1, "ip", "-4", "neigh", "show", "dev", "eth0"))); !equalMaps(got, want) {
		t.Errorf("back to static, nsdoc1's permanent neighbours = %v, want %v", got, want)
	}
	requireFDB(t, lab, "br1", wantFDB)
	if err := Down(context.Background(), lab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertGone(t, lab)
}

// requireFDB requires bridge br on each host of want to hold exactly
// want's MACs as static entries, each on the port named (a tunnel as
// "tunnel to HOST").
func requireFDB(t *testing.T, lab, br string, want map[string]map[string]string) {
	t.Helper()
	for host, macs := range want {
		names := map[string]string{} // the bridge's ofport → what it is
		for _, port := range strings.Fields(mustVsctl(t, lab, host, "list-ports", br)) {
			what := port
			if strings.HasPrefix(port, "vx") {
				what = "tunnel to " + port[strings.LastIndex(port, "-")+1:]
			}
			names[mustVsctl(t, lab, host, "get", "interface", port, "ofport")] = what
		}
		show := string(mustOut(t, "fdb/show")(appctl(lab, host, "fdb/show", br)))
		got := map[string]string{}
		for _, l := range strings.Split(show, "\n") {
			if f := strings.Fields(l); len(f) == 4 && f[3] == "static" {
				got[f[2]] = names[f[0]]
			}
		}
		if !equalMaps(got, macs) {
			t.Errorf("%s %s static MACs = %v, want %v\n%s", host, br, got, macs, show)
		}
	}
}

// appctl runs ovs-appctl against an emulated host's vswitchd.
func appctl(lab, host string, args ...string) ([]byte, error) {
	c := exec.Command("ovs-appctl", args...)
	c.Env = append(os.Environ(), "OVS_RUNDIR="+HostRunDir(lab, host))
	return c.CombinedOutput()
}

// mustOut fails the test when a command failed, else returns its output.
func mustOut(t *testing.T, what string) func([]byte, error) []byte {
	return func(out []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		return out
	}
}

// permanentNeighbours reads `ip neigh show` lines: address → MAC of
// those marked PERMANENT.
func permanentNeighbours(t *testing.T, what string, out []byte) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[len(f)-1] != "PERMANENT" {
			continue
		}
		for i := range f[:len(f)-1] {
			if f[i] == "lladdr" {
				got[f[0]] = f[i+1]
			}
		}
	}
	return got
}

// dynamicNeighbours counts `ip neigh show` lines the kernel learned.
func dynamicNeighbours(out []byte) int {
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		// ip prints the state with a space after it.
		if l = strings.TrimSpace(l); l != "" && !strings.HasSuffix(l, "PERMANENT") {
			n++
		}
	}
	return n
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
