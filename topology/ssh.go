package topology

import (
	"net/netip"
	"strconv"
	"strings"
)

// SSH is where `--all` reaches a host: hosts.H.ssh, [user@]address[:port].
type SSH struct {
	User string // default DefaultSSHUser
	Addr string // host name or IP address; default the underlay address
	Port int    // default DefaultSSHPort
}

// Defaults of hosts.H.ssh: root, because up changes OVS, Docker, iptables
// and sysctls; the standard port.
const (
	DefaultSSHUser = "root"
	DefaultSSHPort = 22
)

// String is the target as ssh would print it: user@address:port, with an
// IPv6 address in brackets.
func (s SSH) String() string {
	return s.User + "@" + s.HostPort()
}

// HostPort is address:port, the form known_hosts and net.Dial use.
func (s SSH) HostPort() string {
	if strings.Contains(s.Addr, ":") {
		return "[" + s.Addr + "]:" + strconv.Itoa(s.Port)
	}
	return s.Addr + ":" + strconv.Itoa(s.Port)
}

// sshTarget reads hosts.H.ssh; a zero SSH means the value was bad (and
// reported) or absent.
func (p *parser) sshTarget(f field, path string) SSH {
	s, ok := p.str(f, path)
	if !ok {
		return SSH{}
	}
	t, msg := ParseSSH(s)
	if msg != "" {
		p.errAt(f.val, path, "%q: %s; the form is [user@]address[:port], e.g. root@192.0.2.10:22", s, msg)
		return SSH{}
	}
	return t
}

// ParseSSH reads [user@]address[:port], leaving what is not given zero. It
// returns a message saying what is wrong, or "".
func ParseSSH(s string) (SSH, string) {
	var t SSH
	rest := s
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		t.User, rest = s[:i], s[i+1:]
		if msg := sshUserProblem(t.User); msg != "" {
			return SSH{}, msg
		}
	}
	host, port := rest, ""
	switch {
	case strings.HasPrefix(rest, "["):
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return SSH{}, "missing ] after the IPv6 address"
		}
		host, port = rest[1:end], rest[end+1:]
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() {
			return SSH{}, "only an IPv6 address goes in brackets"
		}
		if port != "" && !strings.HasPrefix(port, ":") {
			return SSH{}, "expected :port after ]"
		}
		port = strings.TrimPrefix(port, ":")
	case strings.Count(rest, ":") > 1:
		return SSH{}, "an IPv6 address goes in brackets: [ADDRESS]:PORT"
	case strings.Contains(rest, ":"):
		i := strings.IndexByte(rest, ':')
		host, port = rest[:i], rest[i+1:]
	}
	if msg := sshHostProblem(host); msg != "" {
		return SSH{}, msg
	}
	t.Addr = host
	if port != "" || strings.HasSuffix(rest, ":") {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return SSH{}, "port " + strconv.Quote(port) + " is not 1..65535"
		}
		t.Port = n
	}
	return t, ""
}

func sshUserProblem(u string) string {
	switch {
	case u == "":
		return "empty user before @"
	case u[0] == '-':
		return "a user name cannot start with -"
	case len(u) > 32:
		return "user name over 32 bytes"
	}
	for _, r := range u {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return "user name has " + strconv.QuoteRune(r) + "; use letters, digits, _ - ."
		}
	}
	return ""
}

func sshHostProblem(h string) string {
	if h == "" {
		return "no address"
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return ""
	}
	if len(h) > 253 {
		return "host name over 253 bytes"
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "address " + strconv.Quote(h) + " is neither an IP address nor a host name"
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return "address " + strconv.Quote(h) + " is neither an IP address nor a host name"
			}
		}
	}
	return ""
}

// sshDefaults completes h.SSH: root at the underlay address, port 22.
func sshDefaults(h *Host) {
	if h.SSH.User == "" {
		h.SSH.User = DefaultSSHUser
	}
	if h.SSH.Addr == "" && h.Underlay.IsValid() {
		h.SSH.Addr = h.Underlay.Addr().String()
	}
	if h.SSH.Port == 0 {
		h.SSH.Port = DefaultSSHPort
	}
}
