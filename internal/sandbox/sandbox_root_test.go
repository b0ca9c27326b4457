package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootSandboxCan runs, in a shell on a throwaway emulated host, what a
// student debugging the host needs, and checks each effect from outside.
func TestRootSandboxCan(t *testing.T) {
	h := newHost(t)
	cfg := h.config()

	t.Run("identity and capabilities", func(t *testing.T) {
		out := mustRun(t, cfg, "id; grep -E '^(Cap|NoNewPrivs|Seccomp:)' /proc/self/status")
		wantLines(t, out,
			fmt.Sprintf("uid=%d(nobody) gid=%d groups=%d", testUID, testGID, testGID),
			"CapInh:\t0000000000003000", "CapPrm:\t0000000000003000", "CapEff:\t0000000000003000",
			"CapBnd:\t0000000000003000", "CapAmb:\t0000000000003000",
			"NoNewPrivs:\t1", "Seccomp:\t2")
	})
	t.Run("ip link set mtu", func(t *testing.T) {
		mustRun(t, cfg, "ip link set v0 mtu 1400")
		if out := testenv.Run(t, "ip", "-n", h.ns, "link", "show", "v0"); !strings.Contains(out, " mtu 1400 ") {
			t.Errorf("v0 after the shell set mtu 1400: %s", out)
		}
	})
	t.Run("iptables", func(t *testing.T) {
		out := mustRun(t, cfg, "iptables -I INPUT -s 198.51.100.7 -j DROP && iptables -S INPUT")
		wantLines(t, out, "-A INPUT -s 198.51.100.7/32 -j DROP")
		in := testenv.Run(t, "ip", "netns", "exec", h.ns, "iptables", "-S", "INPUT")
		wantLines(t, in, "-A INPUT -s 198.51.100.7/32 -j DROP")
	})
	t.Run("network sysctl", func(t *testing.T) {
		mustRun(t, cfg, "sysctl -qw net.ipv4.ip_forward=1")
		in := testenv.Run(t, "ip", "netns", "exec", h.ns, "sysctl", "-n", "net.ipv4.ip_forward")
		if strings.TrimSpace(in) != "1" {
			t.Errorf("ip_forward in the host's netns: %q, want 1", in)
		}
	})
	t.Run("tcpdump and ping", func(t *testing.T) {
		// tcpdump says "listening" once its capture is open: ping then.
		out := mustRun(t, cfg, `ip link set lo up
tcpdump -i lo -n -l -c 1 icmp >/tmp/cap 2>/tmp/err & p=$!
until grep -q listening /tmp/err; do sleep 0.05; done
ping -c 1 -W 5 127.0.0.1 >/dev/null
wait $p; cat /tmp/cap`)
		if !strings.Contains(out, "127.0.0.1 > 127.0.0.1: ICMP echo request") {
			t.Errorf("tcpdump saw no echo request:\n%s", out)
		}
	})
	t.Run("ovs-vsctl show", func(t *testing.T) {
		out := mustRun(t, cfg, "ovs-vsctl show")
		wantLines(t, out, `    Bridge br0`, `        Port p1`)
	})
	t.Run("ovs-vsctl set port tag", func(t *testing.T) {
		mustRun(t, cfg, "ovs-vsctl set port p1 tag=5")
		if got := h.vsctl(t, "get", "port", "p1", "tag"); got != "5" {
			t.Errorf("p1 tag after the shell set it: %q, want 5", got)
		}
	})
	t.Run("ovs-ofctl dump-flows", func(t *testing.T) {
		out := mustRun(t, cfg, "ovs-ofctl dump-flows br0")
		if !strings.Contains(out, "priority=0 actions=NORMAL") {
			t.Errorf("dump-flows:\n%s", out)
		}
	})
	t.Run("ovs-appctl", func(t *testing.T) {
		out := mustRun(t, cfg, "ovs-appctl fdb/show br0 && ovs-appctl version")
		wantLines(t, out, " port  VLAN  MAC                Age")
		if !strings.HasPrefix(strings.Split(out, "\n")[1], "ovs-vswitchd (Open vSwitch) ") {
			t.Errorf("ovs-appctl version:\n%s", out)
		}
	})
	t.Run("write /tmp", func(t *testing.T) {
		out := mustRun(t, cfg, "echo hi > /tmp/x && cat /tmp/x && cd && pwd")
		wantLines(t, out, "hi", "/tmp")
	})
	t.Run("hostname is the host's", func(t *testing.T) {
		out := mustRun(t, cfg, "hostname")
		wantLines(t, out, h.ns)
	})
}

// TestRootSandboxCannot checks each way out of a shell on an emulated host
// fails, with the failure a student would see.
func TestRootSandboxCannot(t *testing.T) {
	h := newHost(t)
	cfg := h.config()
	// A process of the same uid outside: invisible, and alive afterwards.
	outside := exec.Command("sleep", "300")
	outside.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: testUID, Gid: testUID}}
	if err := outside.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = outside.Process.Kill(); _ = outside.Wait() })

	cases := []struct {
		name, script string
		want         []string
	}{
		{"read /etc/shadow", "cat /etc/shadow",
			[]string{"cat: /etc/shadow: Permission denied"}},
		{"write under /usr", "touch /usr/bin/x",
			[]string{"touch: cannot touch '/usr/bin/x': Read-only file system"}},
		{"write /, /etc", "touch /x /etc/x",
			[]string{"touch: cannot touch '/x': Read-only file system", "touch: cannot touch '/etc/x': Read-only file system"}},
		{"machine's secrets and other labs absent",
			"ls /run/ovslab /root /home /run/netns /run/docker.sock /var/run/docker.sock /var/lib/docker /run/containerd",
			[]string{
				"ls: cannot access '/run/ovslab': No such file or directory",
				"ls: cannot access '/root': No such file or directory",
				"ls: cannot access '/home': No such file or directory",
				"ls: cannot access '/run/netns': No such file or directory",
				"ls: cannot access '/run/docker.sock': No such file or directory",
				"ls: cannot access '/var/run/docker.sock': No such file or directory",
				"ls: cannot access '/var/lib/docker': No such file or directory",
				"ls: cannot access '/run/containerd': No such file or directory",
			}},
		{"/etc/ssh masked", "ls -A /etc/ssh | wc -l; touch /etc/ssh/x",
			[]string{"0", "touch: cannot touch '/etc/ssh/x': Read-only file system"}},
		{"write /sys", "echo 1 > /sys/class/net/lo/mtu",
			[]string{"/bin/sh: 1: cannot create /sys/class/net/lo/mtu: Read-only file system"}},
		{"kernel sysctls", "echo 10 > /proc/sys/vm/swappiness",
			[]string{"/bin/sh: 1: cannot create /proc/sys/vm/swappiness: Read-only file system"}},
		{"kernel internals in /proc", "head -c1 /proc/keys",
			[]string{"head: cannot open '/proc/keys' for reading: Permission denied"}},
		{"enter another netns", "nsenter -t 1 -n true",
			[]string{"nsenter: reassociate to namespace 'ns/net' failed: Operation not permitted"}},
		{"new mount, user or net namespace", "unshare -m true; unshare -U true; unshare -Urm true; unshare -n true",
			slices.Repeat([]string{"unshare: unshare failed: Operation not permitted"}, 4)},
		{"mount (setuid root, ignored)", "mkdir /tmp/m; mount -t tmpfs none /tmp/m",
			[]string{"mount: /tmp/m: must be superuser to use mount."}},
		{"su", "su -c id root </dev/null",
			[]string{"Password: su: Authentication failure"}},
		{"load or remove a module", `python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/dev/null", os.O_RDONLY)
for name, r in (("finit_module", libc.syscall(313, fd, b"", 0)), ("delete_module", libc.syscall(176, b"dummy", 0))):
    print(name, r, os.strerror(ctypes.get_errno()))'`,
			[]string{"finit_module -1 Operation not permitted", "delete_module -1 Operation not permitted"}},
		{"ptrace", `python3 -c '
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print("attach", libc.ptrace(16, 1, 0, 0), os.strerror(ctypes.get_errno()))'`,
			[]string{"attach -1 Operation not permitted"}},
		{"see other processes", "ps -e -o comm= | sort | tr '\\n' ' '; echo",
			[]string{"ps sh sort tr "}},
		{"signal a process outside", fmt.Sprintf("kill -9 %d; kill -9 -1", outside.Process.Pid),
			[]string{"/bin/sh: 1: kill: No such process"}},
		{"chmod its way out", "chmod 666 /etc/shadow; chmod 777 /run/ovs/db.sock; chmod 755 /",
			[]string{
				"chmod: changing permissions of '/etc/shadow': Read-only file system",
				"chmod: changing permissions of '/run/ovs/db.sock': Read-only file system",
				"chmod: changing permissions of '/': Read-only file system",
			}},
		{"replace an OVS socket", "rm /run/ovs/db.sock; touch /run/ovs/x",
			[]string{"rm: cannot remove '/run/ovs/db.sock': Permission denied", "touch: cannot touch '/run/ovs/x': Permission denied"}},
		{"ovsdb-server's control socket", "ovs-appctl -t ovsdb-server version",
			[]string{`ovs-appctl: cannot read pidfile "/run/ovs/ovsdb-server.pid" (No such file or directory)`}},
		{"kernel log", "dmesg",
			[]string{"dmesg: read kernel buffer failed: Operation not permitted"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, _ := run(t, cfg, tc.script)
			wantLines(t, out, tc.want...)
		})
	}
	t.Run("share pages with other processes", func(t *testing.T) {
		// ovslab marks itself for same-page merging where ksmd runs
		// (ovs.startMergeable); the shell must not inherit the mark.
		if err := unix.Prctl(unix.PR_SET_MEMORY_MERGE, 1, 0, 0, 0); err != nil {
			t.Skipf("this kernel cannot mark a process for same-page merging: %v", err)
		}
		t.Cleanup(func() { _ = unix.Prctl(unix.PR_SET_MEMORY_MERGE, 0, 0, 0, 0) })
		out, _ := run(t, cfg, "grep merge_any /proc/self/ksm_stat")
		wantLines(t, out, "ksm_merge_any: no")
	})
	t.Run("Config.Hide", func(t *testing.T) {
		c := cfg
		c.Hide = []string{"/etc/hostname", "/usr/share/doc"}
		out, _ := run(t, c, "cat /etc/hostname; ls -A /usr/share/doc | wc -l; touch /usr/share/doc/x")
		wantLines(t, out, "cat: /etc/hostname: Permission denied", "0",
			"touch: cannot touch '/usr/share/doc/x': Read-only file system")
	})
	t.Run("other namespaces' links", func(t *testing.T) {
		in := linkNames(mustRun(t, cfg, "ip -o link"))
		host := linkNames(testenv.Run(t, "ip", "-n", h.ns, "-o", "link"))
		sys := strings.Fields(mustRun(t, cfg, "ls /sys/class/net"))
		slices.Sort(in)
		slices.Sort(host)
		if !slices.Equal(in, host) || !slices.Equal(sys, host) {
			t.Errorf("links seen in the shell %v, in its /sys %v; the host's netns has %v", in, sys, host)
		}
		if slices.Contains(in, "eth0") {
			t.Errorf("the shell sees the machine's eth0: %v", in)
		}
	})
	if err := outside.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the process outside did not survive the shell's kill -9 -1: %v", err)
	}
}

// TestRootSandboxForkBomb shows a fork bomb held at the pids limit and
// gone, every process of it, when its shell is killed.
func TestRootSandboxForkBomb(t *testing.T) {
	h := newHost(t)
	cfg := h.config()
	cfg.Pids = 64
	cfg.Command = []string{"/bin/bash", "-c", "bomb() { bomb | bomb & }; bomb; exec sleep 600"}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Release() })
	if !s.PidsLimited() {
		if os.Getenv("CI") == "true" {
			t.Fatal("no pids cgroup (CI must provide one)")
		}
		t.Skip("no pids cgroup on this machine: RLIMIT_NPROC holds the shell, per uid")
	}
	if err := s.Cmd().Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(t.Context()); err != nil {
		t.Fatal(err)
	}
	dir := pidsDir(t, s)
	read := func(f string) string {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		return strings.TrimSpace(string(b))
	}
	testenv.Eventually(t, shellTimeout, func() error {
		if read("pids.current") != "64" || read("pids.events") == "max 0" {
			return fmt.Errorf("pids.current %s, pids.events %q", read("pids.current"), read("pids.events"))
		}
		return nil
	})
	// The machine still forks.
	testenv.Run(t, "true")
	if err := s.Cmd().Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = s.Cmd().Wait()
	if got := read("pids.current"); got != "0" {
		t.Errorf("pids.current %s after the shell was killed, want 0", got)
	}
	if err := s.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s after Release: %v", dir, err)
	}
}

// TestRootSandboxRefusesBadConfig checks what New refuses before starting
// anything.
func TestRootSandboxRefusesBadConfig(t *testing.T) {
	testenv.Require(t, "ip")
	ns := testenv.Netns(t, "sbxbad")
	good := Config{Netns: "/run/netns/" + ns, UID: testUID, GID: testGID}
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"root", func(c *Config) { c.UID = 0 }, "uid 0, gid 2147001: both must be unprivileged (> 0)"},
		{"root group", func(c *Config) { c.GID = 0 }, "uid 65534, gid 0: both must be unprivileged (> 0)"},
		{"no netns", func(c *Config) { c.Netns = "" }, "no netns"},
		{"not a netns", func(c *Config) { c.Netns = "/etc/passwd" }, "/etc/passwd is not a network namespace"},
		{"relative command", func(c *Config) { c.Command = []string{"sh"} }, `command "sh": an absolute path is needed`},
		{"bad hide", func(c *Config) { c.Hide = []string{"etc/x"} }, `hide "etc/x": a clean absolute path`},
		{"missing run dir", func(c *Config) { c.OVSRunDir = "/nonexistent" }, "OVS run dir: stat /nonexistent: no such file or directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			_, err := New(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestRootSandboxLimits: memory, /tmp and CPU are capped per shell.
func TestRootSandboxLimits(t *testing.T) {
	h := newHost(t)
	t.Run("memory", func(t *testing.T) {
		cfg := h.config()
		cfg.Memory = 64 << 20
		out, _ := run(t, cfg, `python3 -c 'b = b"x" * (256 << 20); print("allocated")'; echo "exit $?"`)
		wantLines(t, out, "exit 137")
		if strings.Contains(out, "allocated") {
			t.Errorf("256 MiB allocated under a 64 MiB limit:\n%s", out)
		}
	})
	t.Run("/tmp", func(t *testing.T) {
		out, _ := run(t, h.config(), `head -c 100M /dev/zero > /tmp/big; echo "exit $?"`)
		wantLines(t, out, "head: error writing 'standard output': No space left on device", "exit 1")
	})
	t.Run("cpu", func(t *testing.T) {
		cfg := h.config()
		cfg.CPU = 0.25
		cfg.Command = []string{"/bin/cat", "/proc/self/cgroup"}
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Release() })
		var quota, dir string
		for _, d := range s.cg.dirs {
			for _, f := range []string{"cpu.cfs_quota_us", "cpu.max"} {
				if b, err := os.ReadFile(filepath.Join(d, f)); err == nil {
					quota, dir = strings.TrimSpace(string(b)), d
				}
			}
		}
		if quota != "25000" && quota != "25000 100000" {
			t.Errorf("CPU quota %q in %v, want 25000 µs a 100000 µs period", quota, s.cg.dirs)
		}
		out, err := s.Cmd().Output()
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "/"+filepath.Base(dir)+"\n") {
			t.Errorf("the shell is not in its cgroup %s:\n%s", dir, out)
		}
	})
}

// TestRootSandboxReadyReportsInitFailure: a shell that cannot start is
// reported by Ready with Init's reason.
func TestRootSandboxReadyReportsInitFailure(t *testing.T) {
	testenv.Require(t, "ip")
	ns := testenv.Netns(t, "sbxfail")
	s, err := New(Config{Netns: "/run/netns/" + ns, UID: testUID, GID: testGID, Command: []string{"/nonexistent"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Release() })
	if err := s.Cmd().Start(); err != nil {
		t.Fatal(err)
	}
	err = s.Ready(t.Context())
	want := "sandbox: exec /nonexistent: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("Ready: %v, want %q", err, want)
	}
	if err := s.Cmd().Wait(); err == nil || err.Error() != "exit status 1" {
		t.Errorf("Wait: %v, want exit status 1", err)
	}
}

// pidsDir is the shell's cgroup directory that holds its pids limit.
func pidsDir(t *testing.T, s *Sandbox) string {
	t.Helper()
	for _, d := range s.cg.dirs {
		if _, err := os.Stat(filepath.Join(d, "pids.max")); err == nil {
			return d
		}
	}
	t.Fatalf("no pids.max in the shell's cgroups %v", s.cg.dirs)
	return ""
}
