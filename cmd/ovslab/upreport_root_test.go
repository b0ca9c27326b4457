package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/labs/catalog"
)

// TestRootUpSaysWhatItChanged: an up that repairs a lab lists what it
// changed, objects and hosts, and whether a container was recreated; an
// up with nothing to do says so.
func TestRootUpSaysWhatItChanged(t *testing.T) {
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ip")
	testenv.RequireDocker(t)
	const lab = "upsays"
	text, _ := catalog.Get("mtu-broken")
	file := writeFile(t, "topology.yaml", string(text))
	up := func() string {
		t.Helper()
		r := ovslab(t, "up", "--emulate", file, "--name", lab)
		if r.code != 0 {
			t.Fatalf("up: %s", r)
		}
		lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
		return lines[len(lines)-1]
	}
	ovslab(t, "down", lab)
	t.Cleanup(func() { ovslab(t, "down", lab) })
	if got := up(); !strings.Contains(got, "lab upsays is up (") || !strings.Contains(got, "try: ovslab status upsays") {
		t.Errorf("the first up says %q", got)
	}
	if got := up(); !strings.HasSuffix(got, "): nothing to change") {
		t.Errorf("an up with nothing to do says %q, want nothing to change", got)
	}

	// The file's fix: the underlay MTU, on the hosts and the router.
	if err := os.WriteFile(file, []byte(strings.Replace(string(text), "  mtu: 1500", "  mtu: 1554", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	got := up()
	for _, want := range []string{"br-phy, eth0 mtu 1500→1554 on host1, host2", "segment 172.16.10.0", "mtu 1500→1554 on the router", "; no container recreated"} {
		if !strings.Contains(got, want) {
			t.Errorf("up after the MTU fix says\n%s\nwithout %q", got, want)
		}
	}

	// Changes by hand: a container removed, a port's tag, an address.
	if out, err := exec.Command("docker", "rm", "-f", lab+"-doc3").CombinedOutput(); err != nil {
		t.Fatalf("docker rm: %v\n%s", err, out)
	}
	testenv.Run(t, "ip", "netns", "exec", lab+"-host1", "ip", "addr", "flush", "dev", "net1")
	if out, err := exec.Command(bin, "exec", lab, "host1", "--", "ovs-vsctl", "set", "port", "vdoc1", "tag=10").CombinedOutput(); err != nil {
		t.Fatalf("set a tag by hand: %v\n%s", err, out)
	}
	got = up()
	for _, want := range []string{"doc3 created on host2", "port vdoc1 tag 10→untagged on host1", "net1 address 10.0.1.1/24 added on host1"} {
		if !strings.Contains(got, want) {
			t.Errorf("the repairing up says\n%s\nwithout %q", got, want)
		}
	}
	if strings.Contains(got, "no container recreated") {
		t.Errorf("doc3 was made anew, yet up says %q", got)
	}
	if got := up(); !strings.HasSuffix(got, "): nothing to change") {
		t.Errorf("the up after the repair says %q, want nothing to change", got)
	}
}
