package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Target is one host to reach: its name in the lab (for messages), the
// login user and address:port.
type Target struct {
	Host     string
	User     string
	HostPort string // address:port, IPv6 in brackets
}

func (t Target) String() string { return t.User + "@" + t.HostPort }

// Config says where the user's SSH files are. The zero Config uses $HOME.
type Config struct {
	Home string // holds .ssh/; default os.UserHomeDir()
	// Timeout bounds the TCP connect plus SSH handshake, and how long an
	// open connection may go without answering a keepalive; default 10s.
	Timeout time.Duration
}

func (c Config) sshDir() (string, error) {
	home := c.Home
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no home directory to find ~/.ssh in: %w", err)
		}
		home = h
	}
	return filepath.Join(home, ".ssh"), nil
}

// ErrNoKeys means neither ssh-agent nor ~/.ssh offered a usable key.
var ErrNoKeys = errors.New("no SSH key")

// Conn is an authenticated SSH connection to one host.
type Conn struct {
	Target Target
	client *ssh.Client
	alive  alive
}

// Close ends the connection.
func (c *Conn) Close() error {
	c.stopWatch()
	return c.client.Close()
}

// Dial connects to t, authenticates with the user's keys and verifies the
// host key against known_hosts before sending anything.
func Dial(ctx context.Context, t Target, cfg Config) (*Conn, error) {
	dir, err := cfg.sshDir()
	if err != nil {
		return nil, err
	}
	signers, closeAgent, err := userSigners(dir)
	if err != nil {
		return nil, fmt.Errorf("host %s (%s): %w", t.Host, t, err)
	}
	defer closeAgent()
	hk, err := newHostKeys(filepath.Join(dir, "known_hosts"))
	if err != nil {
		return nil, fmt.Errorf("host %s (%s): %w", t.Host, t, err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	conf := &ssh.ClientConfig{
		User:              t.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   hk.callback(t),
		HostKeyAlgorithms: hk.algorithms(t.HostPort),
		Timeout:           timeout,
	}
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "tcp", t.HostPort)
	if err != nil {
		return nil, fmt.Errorf("host %s: cannot reach %s: %w; check hosts.%s.ssh and that sshd runs there", t.Host, t.HostPort, err, t.Host)
	}
	// The handshake has no context: a deadline bounds it, and a cancel
	// closes the socket under it.
	_ = nc.SetDeadline(time.Now().Add(timeout))
	stop := context.AfterFunc(ctx, func() { nc.Close() })
	defer stop()
	cc, chans, reqs, err := ssh.NewClientConn(nc, t.HostPort, conf)
	if err != nil {
		nc.Close()
		return nil, handshakeError(t, err)
	}
	_ = nc.SetDeadline(time.Time{})
	c := &Conn{Target: t, client: ssh.NewClient(cc, chans, reqs), alive: alive{stop: make(chan struct{})}}
	go c.watch(timeout)
	return c, nil
}

// handshakeError names the fix for the two ways a handshake fails that a
// user can do something about.
func handshakeError(t Target, err error) error {
	var hk *HostKeyError
	if errors.As(err, &hk) {
		return hk
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("host %s (%s): no SSH handshake within the timeout: %w", t.Host, t, err)
	}
	if strings.Contains(err.Error(), "unable to authenticate") {
		return fmt.Errorf("host %s: %s did not accept any of your keys; copy one there: ssh-copy-id -p %s %s@%s", t.Host, t, portOf(t.HostPort), t.User, hostOf(t.HostPort))
	}
	return fmt.Errorf("host %s (%s): %w", t.Host, t, err)
}

// userSigners collects keys from ssh-agent (SSH_AUTH_SOCK) and from the
// unencrypted ~/.ssh/id_* files. closeAgent releases the agent socket
// once the handshake is over.
func userSigners(dir string) (signers []ssh.Signer, closeAgent func(), err error) {
	closeAgent = func() {}
	var notes []string
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		c, err := net.Dial("unix", sock)
		if err != nil {
			notes = append(notes, fmt.Sprintf("ssh-agent at %s: %v", sock, err))
		} else {
			closeAgent = func() { c.Close() }
			s, err := agent.NewClient(c).Signers()
			if err != nil {
				notes = append(notes, fmt.Sprintf("ssh-agent: %v", err))
			}
			signers = append(signers, s...)
		}
	}
	for _, name := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			notes = append(notes, err.Error())
			continue
		}
		s, err := ssh.ParsePrivateKey(data)
		var pp *ssh.PassphraseMissingError
		if errors.As(err, &pp) {
			notes = append(notes, path+" has a passphrase: load it into ssh-agent (ssh-add "+path+")")
			continue
		}
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		closeAgent()
		msg := fmt.Sprintf("ssh-agent has none (SSH_AUTH_SOCK) and %s holds no id_ed25519, id_ecdsa or id_rsa; create one (ssh-keygen -t ed25519) and copy it to the hosts (ssh-copy-id)", dir)
		for _, n := range notes {
			msg += "; " + n
		}
		return nil, closeAgent, fmt.Errorf("%w: %s", ErrNoKeys, msg)
	}
	return signers, closeAgent, nil
}
