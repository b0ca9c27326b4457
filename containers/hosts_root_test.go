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

// A stamp spares the read only while the file is what the last call
// left: any write since, even one keeping the size, is seen and undone.
func TestRootDockerSetHostsStamped(t *testing.T) {
	c, ctx := newClient(t)
	s, id, pid := sleeper(t, c, ctx, "hosts-stamp-test")
	p, err := OpenProcess(id, pid)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	content := HostsFile([]HostName{{"peer", netip.MustParseAddr("10.0.1.20")}})
	sum := HostsSum(content)
	wrote, stamp, err := p.SetHostsStamped(content, sum, "")
	if err != nil || !wrote || stamp == "" {
		t.Fatalf("first call: wrote=%v stamp=%q %v; want a write and a stamp", wrote, stamp, err)
	}
	if wrote, again, err := p.SetHostsStamped(content, sum, stamp); err != nil || wrote || again != stamp {
		t.Fatalf("unchanged file: wrote=%v stamp=%q (was %q) %v; want no write, same stamp", wrote, again, stamp, err)
	}
	for _, edit := range []string{
		"echo '10.9.9.9 elsewhere' >> /etc/hosts",                                              // longer
		"tr 1 2 < /etc/hosts > /tmp/h && cat /tmp/h > /etc/hosts",                              // the same size
		"cat /etc/hosts > /tmp/h && cat /tmp/h > /etc/hosts && touch -d 2001-01-01 /etc/hosts", // same bytes, old mtime
	} {
		execOut(t, c, ctx, s.Name, "sh", "-c", edit)
		wrote, next, err := p.SetHostsStamped(content, sum, stamp)
		if err != nil || next == stamp {
			t.Fatalf("after %q: stamp %q (was %q), %v; want a new stamp", edit, next, stamp, err)
		}
		if got := execOut(t, c, ctx, s.Name, "cat", "/etc/hosts"); got != string(content) {
			t.Fatalf("after %q (wrote=%v) /etc/hosts is:\n%s", edit, wrote, got)
		}
		stamp = next
	}
	// Other content under the same file's stamp is written.
	other := HostsFile([]HostName{{"peer", netip.MustParseAddr("10.0.1.21")}})
	if wrote, _, err := p.SetHostsStamped(other, HostsSum(other), stamp); err != nil || !wrote {
		t.Fatalf("new content: wrote=%v %v; want a write", wrote, err)
	}
}
