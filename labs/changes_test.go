package labs

import "testing"

// TestUpReport: up says what it did in one line: the same change to the
// same objects on several hosts once, naming the hosts; whether any
// container was recreated; nothing to change when nothing was.
func TestUpReport(t *testing.T) {
	mtu := Changes{
		{Host: "host1", Object: "eth0", What: "mtu 1500→1554"},
		{Host: "host1", Object: "br-phy", What: "mtu 1500→1554"},
		{Host: "host2", Object: "eth0", What: "mtu 1500→1554"},
		{Host: "host1", Object: "eth0", What: "mtu 1500→1554"}, // the kernel's and OVS's word for one change
		{Host: "host2", Object: "br-phy", What: "mtu 1500→1554"},
		{Host: "", Object: "link to host1", What: "mtu 1500→1554"},
		{Host: "", Object: "link to host2", What: "mtu 1500→1554"},
	}
	for _, tc := range []struct {
		name string
		r    UpReport
		want string
	}{
		{"built", UpReport{Fresh: true, Containers: 4}, "built"},
		{"no-op", UpReport{Containers: 4}, "nothing to change"},
		{"mtu fix", UpReport{Changes: mtu, Containers: 4},
			"br-phy, eth0 mtu 1500→1554 on host1, host2; link to host1, link to host2 mtu 1500→1554 on the router; no container recreated"},
		{"the router's news last", UpReport{Changes: append(Changes{{Host: "", Object: "link to wan", What: "up"}}, mtu[:1]...)},
			"eth0 mtu 1500→1554 on host1; link to wan up on the router"},
		{"no containers", UpReport{Changes: mtu[:1]}, "eth0 mtu 1500→1554 on host1"},
		{"a container recreated", UpReport{Containers: 4, Changes: Changes{
			{Host: "host2", Object: "cache", What: "created"},
			{Host: "host1", Object: "web", What: "/etc/hosts updated"},
			{Host: "host2", Object: "app", What: "/etc/hosts updated"},
			{Host: "host2", Object: "db", What: "recreated"},
		}}, "cache created on host2; web /etc/hosts updated on host1; app /etc/hosts updated on host2; db recreated on host2"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}
