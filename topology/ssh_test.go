package topology

import (
	"testing"
)

func TestSSHRules(t *testing.T) {
	key := "    gateway: 172.16.10.1\n"
	with := func(v string) []string { return []string{key, key + "    ssh: " + v + "\n"} }
	runErrCases(t, []errCase{
		{name: "empty user", edit: with("'@10.0.0.1'"), line: 6, col: 10, field: "hosts.host1.ssh", msg: "empty user before @"},
		{name: "user with space", edit: with("'a b@10.0.0.1'"), line: 6, field: "hosts.host1.ssh", msg: "user name has ' '"},
		{name: "user like an option", edit: with("-oProxyCommand@h"), line: 6, field: "hosts.host1.ssh", msg: "cannot start with -"},
		{name: "port zero", edit: with("root@10.0.0.1:0"), line: 6, field: "hosts.host1.ssh", msg: `port "0" is not 1..65535`},
		{name: "port text", edit: with("root@10.0.0.1:ssh"), line: 6, field: "hosts.host1.ssh", msg: `port "ssh" is not 1..65535`},
		{name: "empty port", edit: with("'root@10.0.0.1:'"), line: 6, field: "hosts.host1.ssh", msg: `port "" is not 1..65535`},
		{name: "bare IPv6", edit: with("fd00::1"), line: 6, field: "hosts.host1.ssh", msg: "an IPv6 address goes in brackets"},
		{name: "IPv4 in brackets", edit: with("'[10.0.0.1]:22'"), line: 6, field: "hosts.host1.ssh", msg: "only an IPv6 address goes in brackets"},
		{name: "no address", edit: with("root@"), line: 6, field: "hosts.host1.ssh", msg: "no address"},
		{name: "bad host name", edit: with("root@host_1"), line: 6, field: "hosts.host1.ssh", msg: "neither an IP address nor a host name"},
		{name: "not a string", edit: with("{user: root}"), line: 6, field: "hosts.host1.ssh", msg: "expected a string"},
	})
}

func TestSSHDefaults(t *testing.T) {
	top, err := Parse("lab.yaml", []byte(edit(t,
		"    gateway: 172.16.20.1\n", "    gateway: 172.16.20.1\n    ssh: teacher@vm2.lab:2222\n")))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"host1": "root@172.16.10.100:22", "host2": "teacher@vm2.lab:2222"}
	for _, h := range top.Hosts {
		if got := h.SSH.String(); got != want[h.Name] {
			t.Errorf("%s: ssh %s, want %s", h.Name, got, want[h.Name])
		}
	}
	for in, want := range map[string]string{
		"10.0.0.1":         "@10.0.0.1:0", // what is not given stays zero
		"u@[fd00::1]:2200": "u@[fd00::1]:2200",
	} {
		got, msg := ParseSSH(in)
		if msg != "" || got.String() != want {
			t.Errorf("ParseSSH(%q) = %s (%s), want %s", in, got, msg, want)
		}
	}
}
