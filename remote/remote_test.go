package remote

import (
	"crypto/ed25519"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

func newKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestHostKeys: a known key passes; an unknown or changed one is refused
// with the command that settles it, and errors.Is tells them apart.
func TestHostKeys(t *testing.T) {
	known, other := newKey(t), newKey(t)
	file := filepath.Join(t.TempDir(), "known_hosts")
	line := "10.9.0.1 " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(known))) + "\n" +
		"[10.9.0.2]:2222 " + strings.TrimSpace(string(ssh.MarshalAuthorizedKey(known))) + "\n"
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	hk, err := newHostKeys(file)
	if err != nil {
		t.Fatal(err)
	}
	addr := func(hp string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", hp); return a }
	for _, tc := range []struct {
		name, hostport string
		key            ssh.PublicKey
		want           error
		fix            string
	}{
		{"known", "10.9.0.1:22", known, nil, ""},
		{"known on a port", "10.9.0.2:2222", known, nil, ""},
		{"unknown", "10.9.0.3:22", known, ErrHostKeyUnknown, "ssh-keyscan -p 22 10.9.0.3 >> " + file},
		{"changed", "10.9.0.1:22", other, ErrHostKeyChanged, "ssh-keygen -f " + file + " -R 10.9.0.1 && ssh-keyscan -p 22 10.9.0.1 >> " + file},
		{"changed on a port", "10.9.0.2:2222", other, ErrHostKeyChanged, "-R '[10.9.0.2]:2222'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := Target{Host: "h", User: "root", HostPort: tc.hostport}
			err := hk.callback(tg)(tc.hostport, addr(tc.hostport), tc.key)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if err != nil && !strings.Contains(err.Error(), tc.fix) {
				t.Errorf("%v\ndoes not name the fix %q", err, tc.fix)
			}
		})
	}
	if got := hk.algorithms("10.9.0.1:22"); len(got) != 1 || got[0] != ssh.KeyAlgoED25519 {
		t.Errorf("algorithms = %v, want the known key's [%s]", got, ssh.KeyAlgoED25519)
	}
	missing, err := newHostKeys(filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	if err := missing.callback(Target{Host: "h", HostPort: "10.9.0.1:22"})("10.9.0.1:22", addr("10.9.0.1:22"), known); !errors.Is(err, ErrHostKeyUnknown) {
		t.Errorf("without known_hosts: %v, want ErrHostKeyUnknown", err)
	}
}

// TestCommand: every argument reaches the remote program as one word,
// whatever it holds; checked by a real shell.
func TestCommand(t *testing.T) {
	args := []string{"printf", "%s|", "plain", "with space", "it's", "$HOME", "`x`", "", "a;b"}
	out, err := exec.Command("sh", "-c", Command(args...)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(args[2:], "|") + "|"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestLineWriter(t *testing.T) {
	var b strings.Builder
	var mu sync.Mutex
	w := NewLineWriter(&b, "h1: ", &mu)
	for _, s := range []string{"one\ntw", "o\n", "· h1: named\nh1: too\n", "three"} {
		if _, err := w.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	if want := "h1: one\nh1: two\n· h1: named\nh1: too\nh1: three\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestNoKeys(t *testing.T) {
	t.Setenv("SSH_AUTH_SOCK", "")
	_, _, err := userSigners(t.TempDir())
	if !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), "ssh-keygen -t ed25519") {
		t.Errorf("got %v, want ErrNoKeys naming ssh-keygen", err)
	}
}
