package remote

import (
	"context"
	"crypto/ed25519"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ovslab/ovslab/internal/testenv"
)

// freezable is a server-side connection that can stop dead, as a host
// does when it hangs or its network drops: nothing read, nothing written,
// no error either.
type freezable struct {
	net.Conn
	once   sync.Once
	frozen chan struct{}
}

func (f *freezable) freeze() { f.once.Do(func() { close(f.frozen) }) }

func (f *freezable) Read(p []byte) (int, error) {
	n, err := f.Conn.Read(p)
	select {
	case <-f.frozen:
		select {} // the bytes never reach sshd
	default:
	}
	return n, err
}

// testSSHD is an SSH server on 127.0.0.1 that accepts one user key, runs
// every command forever (never sending an exit status), and freezes its
// connection once a command started. It returns the Target, a Config
// whose home holds the user's key and the server's known_hosts line, and
// the count of keepalives it answered.
func testSSHD(t *testing.T, timeout time.Duration) (Target, Config, *atomic.Int64) {
	t.Helper()
	_, hostPriv, _ := ed25519.GenerateKey(nil)
	hostKey, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	userPub, userPriv, _ := ed25519.GenerateKey(nil)
	userKey, err := ssh.NewPublicKey(userPub)
	if err != nil {
		t.Fatal(err)
	}
	conf := &ssh.ServerConfig{PublicKeyCallback: func(_ ssh.ConnMetadata, k ssh.PublicKey) (*ssh.Permissions, error) {
		if string(k.Marshal()) != string(userKey.Marshal()) {
			return nil, errors.New("unknown key")
		}
		return nil, nil
	}}
	conf.AddHostKey(hostKey)
	var answered atomic.Int64
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { nc.Close() })
			fc := &freezable{Conn: nc, frozen: make(chan struct{})}
			go serve(fc, conf, &answered)
		}
	}()

	home := t.TempDir()
	dir := filepath.Join(home, ".ssh")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(userPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "id_ed25519"), pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	line := "[127.0.0.1]:" + strconv.Itoa(port) + " " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(hostKey.PublicKey()))) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "known_hosts"), []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	return Target{Host: "h1", User: "root", HostPort: l.Addr().String()}, Config{Home: home, Timeout: timeout}, &answered
}

// serve answers keepalives and session requests until a command starts,
// then freezes the connection.
func serve(fc *freezable, conf *ssh.ServerConfig, answered *atomic.Int64) {
	_, chans, reqs, err := ssh.NewServerConn(fc, conf)
	if err != nil {
		return
	}
	go func() {
		for r := range reqs { // keepalives: answered with a failure, as sshd does
			_ = r.Reply(false, nil)
			answered.Add(1)
		}
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "no")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			for r := range creqs {
				_ = r.Reply(r.Type == "exec", nil)
				if r.Type == "exec" {
					fc.freeze()
				}
			}
			ch.Close()
		}()
	}
}

// TestSSHHostStopsAnswering: a host that stops answering while its command
// runs ends Run with an error naming the host and ErrNoAnswer, within the
// keepalive bound, though the command itself would run forever.
func TestSSHHostStopsAnswering(t *testing.T) {
	const timeout = time.Second
	tg, cfg, _ := testSSHD(t, timeout)
	c, err := Dial(context.Background(), tg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan error, 1)
	go func() { done <- c.Run(context.Background(), []string{"ovslab", "up"}, nil, nil, nil) }()
	select {
	case err = <-done:
	case <-time.After(timeout*3/2 + 10*time.Second):
		t.Fatal("Run still waiting on a host that stopped answering")
	}
	if !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("Run = %v, want ErrNoAnswer", err)
	}
	for _, want := range []string{"host h1", tg.HostPort, "did not answer"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// TestKeepaliveKeepsAnsweringHost: a host that answers its keepalives keeps
// the connection, however long its command takes.
func TestKeepaliveKeepsAnsweringHost(t *testing.T) {
	const timeout = 200 * time.Millisecond
	tg, cfg, answered := testSSHD(t, timeout)
	c, err := Dial(context.Background(), tg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// No command: nothing freezes. Several keepalive rounds pass.
	testenv.Eventually(t, 10*time.Second, func() error {
		if n := answered.Load(); n < 5 {
			return fmt.Errorf("%d keepalives answered", n)
		}
		return nil
	})
	if err := c.deadErr(); err != nil {
		t.Fatalf("an answering host was given up: %v", err)
	}
	s, err := c.client.NewSession()
	if err != nil {
		t.Fatalf("connection unusable after keepalives: %v", err)
	}
	s.Close()
}

// TestConnWithoutWatch: a Conn made around an ssh.Client without Dial
// (as tests do) closes without a watcher to stop.
func TestConnWithoutWatch(t *testing.T) {
	tg, cfg, _ := testSSHD(t, time.Second)
	d, err := Dial(context.Background(), tg, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c := &Conn{Target: tg, client: d.client}
	if err := c.Close(); err != nil {
		t.Error(err)
	}
}
