package remote

import (
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestEnsure copies this binary (the test binary) to a host whose install
// directory holds an impostor at its very path, one that answers
// `version` exactly as this binary would, and a copy of another version:
// the impostor is replaced (judged by hash, not by what it says), the
// other version removed; a second Ensure then copies nothing.
func TestEnsure(t *testing.T) {
	c := localConn(t)
	installDir = t.TempDir()
	defer func() { installDir = InstallDir }()
	version, err := Version()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(installDir, "ovslab-"+strings.ReplaceAll(version, "+", "-"))
	impostor := "#!/bin/sh\necho 'ovslab " + version + "'\n"
	old := filepath.Join(installDir, "ovslab-v0.9.0-0123456789abcdef")
	for f, data := range map[string]string{path: impostor, old: impostor} {
		if err := os.WriteFile(f, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, _ := exec.Command(path, "version").Output(); strings.TrimSpace(string(out)) != "ovslab "+version {
		t.Fatalf("the impostor should pass for this binary by its output; says %q", out)
	}

	got, copied, err := c.Ensure(context.Background())
	if err != nil || got != path || !copied {
		t.Fatalf("Ensure = %s, copied %v, %v; want %s copied over the impostor", got, copied, err, path)
	}
	self, _ := os.Executable()
	if !sameFile(t, path, self) {
		t.Errorf("%s still differs from this binary", path)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("copy mode: %v, %v; want 0755", fi, err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("another version's copy %s was left (%v)", old, err)
	}
	if m, _ := filepath.Glob(filepath.Join(installDir, "*ovslab-*")); len(m) != 1 {
		t.Errorf("install directory holds %v, want only %s", m, path)
	}

	if _, copied, err := c.Ensure(context.Background()); err != nil || copied {
		t.Errorf("second Ensure: copied %v, %v; want nothing copied", copied, err)
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(da) == string(db)
}

// localConn is a Conn to an in-process SSH server that runs each command
// with sh on this machine, as sshd would.
func localConn(t *testing.T) *Conn {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		t.Fatal(err)
	}
	conf := &ssh.ServerConfig{NoClientAuth: true}
	conf.AddHostKey(signer)
	// Loopback TCP, not net.Pipe: both ends send their version line
	// before reading, which an unbuffered pipe deadlocks on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if ss, err := l.Accept(); err == nil {
			serveSSH(ss, conf)
		}
	}()
	cs, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cc, chans, reqs, err := ssh.NewClientConn(cs, "local", &ssh.ClientConfig{User: "root", HostKeyCallback: ssh.FixedHostKey(signer.PublicKey())})
	if err != nil {
		t.Fatal(err)
	}
	c := &Conn{Target: Target{Host: "local", User: "root", HostPort: "local:22"}, client: ssh.NewClient(cc, chans, reqs)}
	t.Cleanup(func() { c.Close() })
	return c
}

func serveSSH(nc net.Conn, conf *ssh.ServerConfig) {
	_, chans, reqs, err := ssh.NewServerConn(nc, conf)
	if err != nil {
		return
	}
	go ssh.DiscardRequests(reqs)
	for nch := range chans {
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		go func() {
			defer ch.Close()
			for r := range creqs {
				if r.Type != "exec" {
					_ = r.Reply(false, nil)
					continue
				}
				var p struct{ Cmd string }
				_ = ssh.Unmarshal(r.Payload, &p)
				_ = r.Reply(true, nil)
				cmd := exec.Command("sh", "-c", p.Cmd)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				code := 0
				if err := cmd.Run(); err != nil {
					code = 255
					if ee, ok := err.(*exec.ExitError); ok {
						code = ee.ExitCode()
					}
				}
				var status [4]byte
				binary.BigEndian.PutUint32(status[:], uint32(code))
				_, _ = ch.SendRequest("exit-status", false, status[:])
				return
			}
		}()
	}
}
