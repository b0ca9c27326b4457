package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/ovs"
)

// sshLab is N "real hosts" driven over SSH, as a teacher's VMs would be.
// Each host is a netns with its own OVS daemons, an uplink eth0 to a
// shared router netns, and its own sshd on a management link to a client
// netns the test runs ovslab in. sshd runs in a private mount namespace
// where /run/ovslab and /usr/local/lib are the host's own directories, so
// each host has its own lab state and its own copy of ovslab, as separate
// machines would. All hosts share this machine's dockerd.
type sshLab struct {
	lab, file, home string
	client, router  string // netns names
	hosts           []*sshHost
}

type sshHost struct {
	name, ns   string
	mgmt       string // address sshd listens on
	underlay   string // VTEP address with prefix
	dir        string // the host's private files
	ovsDB      string
	hostKeyPub string // "ssh-ed25519 AAAA..."
}

func (h *sshHost) runDir() string { return filepath.Join(h.dir, "run-ovslab") }
func (h *sshHost) libDir() string { return filepath.Join(h.dir, "lib") }

func newSSHLab(t *testing.T, tag string, n int) *sshLab {
	t.Helper()
	testenv.Require(t, "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "iptables", "ip", "unshare", "ssh-keygen", "ssh-agent", "ssh-add", "/usr/sbin/sshd")
	testenv.RequireDocker(t)
	id := time.Now().UnixNano() % 1_000_000
	l := &sshLab{lab: fmt.Sprintf("ss%s-%d", tag, id)}
	base := t.TempDir()
	l.client = testenv.Netns(t, "ss-cl")
	l.router = testenv.Netns(t, "ss-rt")
	testenv.Run(t, "ip", "netns", "exec", l.router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
	// sshd refuses to start without its privilege separation directory;
	// /run/ovslab must exist as a mount point for each host's own.
	for _, d := range []string{"/run/sshd", "/run/ovslab", "/usr/local/lib"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	l.home = filepath.Join(base, "home")
	sshDir := filepath.Join(l.home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		t.Fatal(err)
	}
	testenv.Run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ovslab-test", "-f", filepath.Join(sshDir, "id_ed25519"))
	authorized := filepath.Join(base, "authorized_keys")
	copyFile(t, filepath.Join(sshDir, "id_ed25519.pub"), authorized)

	var hostsYAML strings.Builder
	for i := 1; i <= n; i++ {
		h := &sshHost{
			name:     fmt.Sprintf("h%d", i),
			mgmt:     fmt.Sprintf("10.250.%d.2", i),
			underlay: fmt.Sprintf("172.16.%d0.100/24", i),
			dir:      filepath.Join(base, fmt.Sprintf("h%d", i)),
		}
		h.ns = testenv.Netns(t, "ss-"+h.name)
		for _, d := range []string{h.runDir(), h.libDir()} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		gw := fmt.Sprintf("172.16.%d0.1", i)
		// Underlay: the router's side is already at 1554, the host's
		// NIC at 1500 until up raises it.
		testenv.Run(t, "ip", "-n", h.ns, "link", "add", "eth0", "mtu", "1500", "type", "veth", "peer", "name", "r"+h.name, "netns", l.router)
		testenv.Run(t, "ip", "-n", l.router, "addr", "add", gw+"/24", "dev", "r"+h.name)
		testenv.Run(t, "ip", "-n", l.router, "link", "set", "r"+h.name, "mtu", "1554", "up")
		testenv.Run(t, "ip", "-n", h.ns, "addr", "add", h.underlay, "dev", "eth0")
		testenv.Run(t, "ip", "-n", h.ns, "link", "set", "eth0", "up")
		testenv.Run(t, "ip", "-n", h.ns, "route", "add", "default", "via", gw, "dev", "eth0")
		// Management: the client reaches the host's sshd.
		testenv.Run(t, "ip", "-n", h.ns, "link", "add", "mgmt0", "type", "veth", "peer", "name", "m"+h.name, "netns", l.client)
		testenv.Run(t, "ip", "-n", l.client, "addr", "add", fmt.Sprintf("10.250.%d.1/24", i), "dev", "m"+h.name)
		testenv.Run(t, "ip", "-n", l.client, "link", "set", "m"+h.name, "up")
		testenv.Run(t, "ip", "-n", h.ns, "addr", "add", h.mgmt+"/24", "dev", "mgmt0")
		testenv.Run(t, "ip", "-n", h.ns, "link", "set", "mgmt0", "up")

		ovsRun := filepath.Join(h.dir, "ovs")
		h.ovsDB = ovs.Endpoint(ovsRun)
		t.Cleanup(func() {
			if err := ovs.StopDaemons(ovsRun); err != nil {
				t.Logf("cleanup: stop OVS daemons of %s: %v", h.name, err)
			}
		})
		ctx, cancel := context.WithTimeout(context.Background(), startLimit)
		err := ovs.StartDaemons(ctx, ovsRun, "/run/netns/"+h.ns)
		cancel()
		if err != nil {
			t.Fatalf("OVS daemons of %s: %v", h.name, err)
		}
		h.startSSHD(t, authorized, ovsRun)
		l.hosts = append(l.hosts, h)
		fmt.Fprintf(&hostsYAML, "  %s: {underlay: %s, gateway: %s, datapath: netdev, ssh: root@%s}\n", h.name, h.underlay, gw, h.mgmt)
	}
	l.writeKnownHosts(t, nil)

	l.file = filepath.Join(base, "topology.yaml")
	var ctrs strings.Builder
	for i, h := range l.hosts {
		fmt.Fprintf(&ctrs, "  %s-c%d: {host: %s, image: ovslab/busybox, command: [sleep, infinity], network: net1, address: 10.0.1.%d}\n", l.lab, i+1, h.name, 10+i)
	}
	l.writeFile(t, fmt.Sprintf("name: %s\nhosts:\n%snetworks:\n  net1:\n    subnet: 10.0.1.0/24\n    vni: 5000\n    bridge: br1\n    gateway: {host: h1, nat: true}\ncontainers:\n%s",
		l.lab, hostsYAML.String(), ctrs.String()))

	// Registered last, so it runs first: each host's own down, through
	// its own sshd, while daemons and namespaces still exist.
	t.Cleanup(func() {
		if r := l.ovslab(t, "down", "--all", l.file); r.code != 0 {
			t.Logf("cleanup: down --all: %s", r)
		}
		if ids, _ := exec.Command("docker", "ps", "-aq", "--filter", "label=ovslab.lab="+l.lab).Output(); len(ids) > 0 {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, strings.Fields(string(ids))...)...).Run()
		}
	})
	return l
}

// startSSHD runs the host's sshd in its netns and a private mount
// namespace, stopped when the test ends.
func (h *sshHost) startSSHD(t *testing.T, authorized, ovsRun string) {
	t.Helper()
	key := filepath.Join(h.dir, "ssh_host_ed25519_key")
	testenv.Run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key)
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(pub))
	h.hostKeyPub = f[0] + " " + f[1]
	conf := filepath.Join(h.dir, "sshd_config")
	text := fmt.Sprintf(`ListenAddress %s
HostKey %s
PidFile none
AuthorizedKeysFile %s
StrictModes no
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PrintMotd no
SetEnv OVS_RUNDIR=%s
`, h.mgmt, key, authorized, ovsRun)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf("mount --bind %s /run/ovslab && mount --bind %s /usr/local/lib && exec /usr/sbin/sshd -D -e -f %s", h.runDir(), h.libDir(), conf)
	cmd := exec.Command("ip", "netns", "exec", h.ns, "unshare", "-m", "--propagation", "private", "sh", "-c", script)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("sshd of %s: %v", h.name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd of %s:\n%s", h.name, logs.String())
		}
	})
	testenv.Eventually(t, 10*time.Second, func() error {
		out, err := exec.Command("ip", "netns", "exec", h.ns, "ss", "-Hltn", "sport", "= :22").Output()
		if err != nil || !strings.Contains(string(out), h.mgmt+":22") {
			return fmt.Errorf("sshd of %s not listening on %s:22 (%v): %s", h.name, h.mgmt, err, logs.String())
		}
		return nil
	})
}

// writeKnownHosts writes the client's known_hosts: every host's real key,
// or the key given in override (host name → "type base64"; "" leaves the
// host out).
func (l *sshLab) writeKnownHosts(t *testing.T, override map[string]string) {
	t.Helper()
	var b strings.Builder
	for _, h := range l.hosts {
		key, ok := override[h.name]
		if !ok {
			key = h.hostKeyPub
		}
		if key != "" {
			fmt.Fprintf(&b, "%s %s\n", h.mgmt, key)
		}
	}
	if err := os.WriteFile(filepath.Join(l.home, ".ssh", "known_hosts"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (l *sshLab) writeFile(t *testing.T, text string) {
	t.Helper()
	if err := os.WriteFile(l.file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ovslab runs the binary in the client netns with the test's own HOME and
// no ssh-agent, as a teacher's laptop with only ~/.ssh would.
func (l *sshLab) ovslab(t *testing.T, args ...string) result {
	t.Helper()
	return l.ovslabEnv(t, []string{"HOME=" + l.home, "SSH_AUTH_SOCK="}, args...)
}

// ovslabEnv runs the binary in the client netns with env set.
func (l *sshLab) ovslabEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	argv := append(append([]string{"ip", "netns", "exec", l.client, "env"}, env...), bin)
	return runCmd(t, t.TempDir(), append(argv, args...)...)
}

func (h *sshHost) vsctl(t *testing.T, args ...string) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "ovs-vsctl", append([]string{"--db=" + h.ovsDB}, args...)...))
}

// assertUntouched: nothing of the lab on the host, and the host's own
// state directory empty.
func (l *sshLab) assertUntouched(t *testing.T, h *sshHost) {
	t.Helper()
	if brs := h.vsctl(t, "list-br"); brs != "" {
		t.Errorf("%s: bridges %q, want none", h.name, brs)
	}
	if ents, _ := os.ReadDir(h.runDir()); len(ents) != 0 {
		t.Errorf("%s: /run/ovslab holds %v, want nothing", h.name, ents)
	}
	if mtu := strings.TrimSpace(testenv.Run(t, "ip", "-n", h.ns, "-o", "link", "show", "eth0")); !strings.Contains(mtu, "mtu 1500 ") {
		t.Errorf("%s: eth0 changed: %s", h.name, mtu)
	}
	if ids := strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--filter", "label=ovslab.lab="+l.lab)); ids != "" {
		t.Errorf("containers of the lab exist: %s", ids)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
