package sandbox

import (
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// BenchmarkRootSandboxStart measures one shell's whole life, as a
// terminal pays it: New, start, Ready (Init built the root and execed),
// then /bin/true exits, Wait, Release. With the host's OVS, as a student
// gets it.
func BenchmarkRootSandboxStart(b *testing.B) {
	testenv.Require(b, "ip", "ovsdb-server", "ovs-vswitchd")
	h := newHostB(b)
	cfg := h.config()
	cfg.Command = []string{"/bin/true"}
	for b.Loop() {
		s, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Cmd().Start(); err != nil {
			b.Fatal(err)
		}
		if err := s.Ready(b.Context()); err != nil {
			b.Fatal(err)
		}
		if err := s.Cmd().Wait(); err != nil {
			b.Fatal(err)
		}
		if err := s.Release(); err != nil {
			b.Fatal(err)
		}
	}
}
