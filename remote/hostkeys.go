package remote

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Host key problems a user must settle by hand, on purpose: ovslab never
// accepts a key it has not been told to trust.
var (
	ErrHostKeyUnknown = errors.New("host key unknown")
	ErrHostKeyChanged = errors.New("host key changed")
)

// HostKeyError is an unknown or changed host key, with the commands that
// accept it.
type HostKeyError struct {
	Target     Target
	KnownHosts string // the file checked
	Offered    string // the key type and fingerprint the host showed
	Known      []string
	err        error // ErrHostKeyUnknown or ErrHostKeyChanged
}

func (e *HostKeyError) Unwrap() error { return e.err }

func (e *HostKeyError) Error() string {
	host, port := hostOf(e.Target.HostPort), portOf(e.Target.HostPort)
	scan := fmt.Sprintf("ssh-keyscan -p %s %s >> %s", port, host, e.KnownHosts)
	if errors.Is(e.err, ErrHostKeyUnknown) {
		return fmt.Sprintf("host %s: the host key of %s (%s) is not in %s; check that fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then accept it: %s",
			e.Target.Host, e.Target.HostPort, e.Offered, e.KnownHosts, scan)
	}
	return fmt.Sprintf("host %s: the host key of %s CHANGED: it offers %s but %s has %s; if the host was reinstalled, replace the old key: ssh-keygen -f %s -R %s && %s; otherwise someone may be intercepting the connection",
		e.Target.Host, e.Target.HostPort, e.Offered, e.KnownHosts, strings.Join(e.Known, ", "), e.KnownHosts, shellQuote(knownhosts.Normalize(e.Target.HostPort)), scan)
}

// hostKeys is the user's known_hosts.
type hostKeys struct {
	file string
	cb   ssh.HostKeyCallback // nil: the file does not exist
}

func newHostKeys(file string) (*hostKeys, error) {
	hk := &hostKeys{file: file}
	if _, err := os.Stat(file); errors.Is(err, os.ErrNotExist) {
		return hk, nil
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("known hosts %s: %w", file, err)
	}
	hk.cb = cb
	return hk, nil
}

func (hk *hostKeys) callback(t Target) ssh.HostKeyCallback {
	return func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		offered := key.Type() + " " + ssh.FingerprintSHA256(key)
		if hk.cb == nil {
			return &HostKeyError{Target: t, KnownHosts: hk.file, Offered: offered, err: ErrHostKeyUnknown}
		}
		err := hk.cb(hostname, remote, key)
		var ke *knownhosts.KeyError
		if !errors.As(err, &ke) {
			var re *knownhosts.RevokedError
			if errors.As(err, &re) {
				return fmt.Errorf("host %s: the host key %s of %s is revoked in %s:%d", t.Host, offered, t.HostPort, re.Revoked.Filename, re.Revoked.Line)
			}
			return err
		}
		e := &HostKeyError{Target: t, KnownHosts: hk.file, Offered: offered, err: ErrHostKeyUnknown}
		if len(ke.Want) > 0 {
			e.err = ErrHostKeyChanged
			for _, w := range ke.Want {
				e.Known = append(e.Known, fmt.Sprintf("%s %s (line %d)", w.Key.Type(), ssh.FingerprintSHA256(w.Key), w.Line))
			}
		}
		return e
	}
}

// algorithms lists the host key algorithms known_hosts holds for
// hostport, so the server is asked for the key we can verify rather than
// its first choice (which would look like a changed key).
func (hk *hostKeys) algorithms(hostport string) []string {
	if hk.cb == nil {
		return nil
	}
	// A throwaway key matches nothing: the error lists what is known.
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil
	}
	probe, err := ssh.NewPublicKey(pub)
	if err != nil {
		return nil
	}
	addr, err := net.ResolveTCPAddr("tcp", hostport)
	if err != nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if !errors.As(hk.cb(hostport, addr, probe), &ke) {
		return nil
	}
	var algos []string
	for _, w := range ke.Want {
		switch t := w.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			algos = append(algos, ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			algos = append(algos, t)
		}
	}
	return algos
}

func hostOf(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return h
}

func portOf(hostport string) string {
	_, p, err := net.SplitHostPort(hostport)
	if err != nil {
		return "22"
	}
	return p
}
