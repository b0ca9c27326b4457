package labs

import (
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestNeighNeed: room for a full mesh on each network, counted only for
// the containers and gateways that live on this kernel.
func TestNeighNeed(t *testing.T) {
	topo := testenv.ScaleLab(t, 4, 50) // net1 (gateway on h1) and net2, 100 members each
	all := neighNeed(topo, func(string) bool { return true })
	// 4 hosts' underlay, h1's gateway port (100 members and itself), and
	// 200 interfaces each with room for its 100 members and the gateway.
	if want := 4*8 + 101 + 200*101; all != want {
		t.Errorf("need of the whole lab = %d, want %d", all, want)
	}
	h2 := neighNeed(topo, func(h string) bool { return h == "h2" })
	if want := 8 + 50*101; h2 != want {
		t.Errorf("need of h2 alone = %d, want %d", h2, want)
	}
}
