package containers

import (
	"net/netip"
	"testing"
)

func TestRootDockerSetHosts(t *testing.T) {
	c, ctx := newClient(t)
	s, id, pid := sleeper(t, c, ctx, "hosts-test")
	content := HostsFile([]HostName{{"peer", netip.MustParseAddr("10.0.1.20")}, {"peer.net1", netip.MustParseAddr("10.0.1.20")}})
	if changed, err := SetHosts(id, pid, content); err != nil || !changed {
		t.Fatalf("SetHosts: changed=%v, %v; want a write", changed, err)
	}
	if got := execOut(t, c, ctx, s.Name, "cat", "/etc/hosts"); got != string(content) {
		t.Errorf("/etc/hosts in the container:\n%s\nwant:\n%s", got, content)
	}
	if changed, err := SetHosts(id, pid, content); err != nil || changed {
		t.Errorf("second SetHosts: changed=%v, %v; want no write", changed, err)
	}
	if !HostsMatch(id, pid, content) || HostsMatch(id, pid, HostsFile(nil)) {
		t.Error("HostsMatch does not tell the file's content")
	}
}
