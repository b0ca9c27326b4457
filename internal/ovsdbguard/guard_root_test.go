package ovsdbguard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/sandbox"
	"github.com/ovslab/ovslab/internal/testenv"
	"github.com/ovslab/ovslab/ovs"
)

// TestMain lets this test binary start sandboxed shells.
func TestMain(m *testing.M) {
	sandbox.Init()
	os.Exit(m.Run())
}

// The shell's identity: nobody, and a group of its own.
const (
	shellUID = 65534
	shellGID = 2147011
)

// host is a throwaway emulated host: a netns with its own ovsdb-server
// and ovs-vswitchd, a bridge br0, and a guard in front of its database.
type host struct {
	ns, runDir string
	guard      *Guard
	refused    chan string
}

func newHost(t *testing.T) *host {
	t.Helper()
	testenv.Require(t, "ip", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl")
	h := &host{ns: testenv.Netns(t, "guardtest"), runDir: filepath.Join(t.TempDir(), "ovs"), refused: make(chan string, 64)}
	t.Cleanup(func() {
		if err := ovs.StopDaemons(h.runDir); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := ovs.StartDaemons(ctx, h.runDir, nsutil.Path(h.ns)); err != nil {
		t.Fatal(err)
	}
	h.vsctl(t, "add-br", "br0", "--", "set", "bridge", "br0", "datapath_type=netdev")
	if err := sandbox.ShareOVS(h.runDir, shellGID); err != nil {
		t.Fatal(err)
	}
	private := t.TempDir() // root's alone: the shell reaches the socket by its bind only
	g, err := Listen(filepath.Join(private, "db.sock"), filepath.Join(h.runDir, "db.sock"), shellGID,
		func(f string, a ...any) {
			select {
			case h.refused <- fmt.Sprintf(f, a...):
			default:
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := g.Close(); err != nil {
			t.Errorf("closing the guard: %v", err)
		}
	})
	h.guard = g
	return h
}

// vsctl runs ovs-vsctl as root on the real database.
func (h *host) vsctl(t *testing.T, args ...string) string {
	t.Helper()
	base := []string{"--db=" + ovs.Endpoint(h.runDir), "--timeout=10"}
	return strings.TrimSpace(testenv.Run(t, "ovs-vsctl", append(base, args...)...))
}

// shell runs script in a student's shell on the host, its db.sock the
// guard's, and returns what it printed.
func (h *host) shell(t *testing.T, script string) string {
	t.Helper()
	s, err := sandbox.New(sandbox.Config{Netns: nsutil.Path(h.ns), OVSRunDir: h.runDir, OVSDBSocket: h.guard.Path(),
		UID: shellUID, GID: shellGID, Command: []string{"/bin/sh", "-c", script}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := s.Release(); err != nil {
			t.Errorf("Release: %v", err)
		}
	}()
	var out bytes.Buffer
	cmd := s.Cmd()
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("shell hung; output so far:\n%s", out.String())
	}
	return out.String()
}

// watch reports every open, access and creation of a file in dir, by
// any process: what vswitchd does with a path it is given.
type watch struct{ fd int }

func watchDir(t *testing.T, dir string) *watch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_OPEN|unix.IN_ACCESS|unix.IN_CREATE|unix.IN_MODIFY); err != nil {
		t.Fatal(err)
	}
	return &watch{fd}
}

// touched returns the names of the files touched since the last call.
func (w *watch) touched() []string {
	var out []string
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		if n <= 0 || err != nil {
			return out
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			out = append(out, string(bytes.TrimRight(name, "\x00")))
			off += unix.SizeofInotifyEvent + int(ev.Len)
		}
	}
}

// TestRootStudentCannotAimVswitchd: through the guard, a student's
// shell on an emulated host can run ovs-vsctl as usual but cannot make
// the root ovs-vswitchd open, read or create a file outside the lab:
// the SSL and Manager tables and unix-socket controllers are refused,
// and vswitchd, having applied the shell's later change, has touched
// none of the files named. The same set-ssl sent straight to the
// database (as root) makes vswitchd open the file: the watch sees what
// it would have done.
func TestRootStudentCannotAimVswitchd(t *testing.T) {
	h := newHost(t)
	outside := t.TempDir()
	for _, f := range []string{"key.pem", "cert.pem", "ca.pem"} {
		if err := os.WriteFile(filepath.Join(outside, f), []byte("not a key\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w := watchDir(t, outside)

	// The control: root's own database, no guard.
	h.vsctl(t, "set-ssl", filepath.Join(outside, "key.pem"), filepath.Join(outside, "cert.pem"), filepath.Join(outside, "ca.pem"))
	testenv.Eventually(t, 20*time.Second, func() error {
		if got := w.touched(); len(got) > 0 {
			return nil
		}
		return errors.New("vswitchd did not open the SSL files the database named")
	})
	h.vsctl(t, "del-ssl")
	// vswitchd keeps reading the files once a loop while SSL is set:
	// wait for a reconfiguration after del-ssl, then for quiet.
	h.vsctl(t, "set", "bridge", "br0", "external_ids:round=1")
	w.touched()

	out := h.shell(t, `
ovs-vsctl --timeout=10 show >/dev/null && echo show-works
ovs-vsctl --timeout=10 set-ssl `+outside+`/key.pem `+outside+`/cert.pem `+outside+`/new-ca.pem; echo ssl=$?
ovs-vsctl --timeout=10 -- --id=@s create SSL private_key=`+outside+`/key.pem certificate=x ca_cert=y -- set Open_vSwitch . ssl=@s; echo create-ssl=$?
ovs-vsctl --timeout=10 set-controller br0 punix:`+outside+`/ctl.sock; echo punix=$?
ovs-vsctl --timeout=10 set-controller br0 unix:`+outside+`/ctl.sock; echo unix=$?
ovs-vsctl --timeout=10 set-manager punix:`+outside+`/mgr.sock ptcp:6640; echo manager=$?
ovs-vsctl --timeout=10 -- --id=@m create Manager target=punix:`+outside+`/mgr2.sock; echo create-manager=$?
ovs-vsctl --timeout=10 set Open_vSwitch . other_config:x=y; echo other-config=$?
ovs-vsctl --timeout=10 add-port br0 d0 -- set interface d0 type=dummy options:pcap=`+outside+`/x.pcap; echo dummy=$?
ovs-vsctl --timeout=10 set port br0 tag=5 && echo tag-works
`)
	t.Logf("the shell:\n%s", out)
	for _, want := range []string{"show-works", "ssl=1", "create-ssl=1", "punix=1", "unix=1", "manager=1", "create-manager=1", "other-config=1", "dummy=1", "tag-works", "permission denied"} {
		if !strings.Contains(out, want) {
			t.Errorf("the shell's output lacks %q:\n%s", want, out)
		}
	}
	// set port ... tag=5 returned once vswitchd applied it: every refused
	// attempt before it would have been applied by then.
	if got := h.vsctl(t, "get", "port", "br0", "tag"); got != "5" {
		t.Errorf("the shell's allowed change: tag %q", got)
	}
	if got := h.vsctl(t, "get", "Open_vSwitch", ".", "ssl"); got != "[]" {
		t.Errorf("the shell made an SSL row: %s", got)
	}
	if got := h.vsctl(t, "get-controller", "br0"); got != "" {
		t.Errorf("the shell set a controller: %s", got)
	}
	if got := h.vsctl(t, "--columns=target", "list", "Manager"); got != "" {
		t.Errorf("the shell made a Manager row: %s", got)
	}
	if got := w.touched(); len(got) > 0 {
		t.Errorf("vswitchd touched %v in %s for the student's shell", got, outside)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 3 {
		t.Errorf("%s holds %d files, want the 3 written", outside, len(ents))
	}
	select {
	case msg := <-h.refused:
		if !strings.Contains(msg, "refused by ovslab") {
			t.Errorf("the guard's log: %s", msg)
		}
	default:
		t.Error("the guard logged no refusal")
	}
}

// TestRootGuardRelays: ovs-vsctl, ovsdb-client's monitor and a
// transaction larger than a pipe's buffer work through the guard as on
// the real socket; a client that sends garbage is dropped without
// taking the guard down.
func TestRootGuardRelays(t *testing.T) {
	h := newHost(t)
	db := "--db=unix:" + h.guard.Path()
	run := func(args ...string) (string, error) {
		out, err := exec.Command("ovs-vsctl", append([]string{db, "--timeout=10"}, args...)...).CombinedOutput()
		return string(out), err
	}
	var long []string
	for i := range 200 {
		long = append(long, "--", "set", "bridge", "br0", fmt.Sprintf("external_ids:k%03d=%s", i, strings.Repeat("v", 40)))
	}
	if out, err := run(long...); err != nil {
		t.Fatalf("a long transaction: %v\n%s", err, out)
	}
	if got := h.vsctl(t, "get", "bridge", "br0", "external_ids:k199"); !strings.Contains(got, "vvvv") {
		t.Errorf("the long transaction's last key: %q", got)
	}
	c, err := (&netDialer{}).dial(h.guard.Path())
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.Write([]byte("[1,2,3]"))
	buf := make([]byte, 16)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(buf); err == nil {
		t.Errorf("the guard answered %q to a message that is not an object, and kept the connection", buf[:n])
	}
	c.Close()
	if out, err := run("list-br"); err != nil || strings.TrimSpace(out) != "br0" {
		t.Errorf("after a bad client: %v %q", err, out)
	}
	out, err := exec.Command("ovsdb-client", "dump", "unix:"+h.guard.Path(), "Open_vSwitch", "Bridge", "name").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "br0") {
		t.Errorf("ovsdb-client dump through the guard: %v\n%s", err, out)
	}
}

type netDialer struct{}

func (netDialer) dial(path string) (*net.UnixConn, error) {
	return net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
}
