package ovs

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestInterfaceNotes: a note is kept on the lab's own interface, replaced
// by a second set, and refused on an interface the lab does not own; it
// reads as none for another lab or a missing interface.
func TestInterfaceNotes(t *testing.T) {
	c := inMemoryClient(t)
	ctx := testCtx(t)
	if err := c.Apply(ctx, lab, labBridges()); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	port := labBridges()[0].Ports[0].Name
	for _, v := range []string{"1", "2"} {
		if err := c.SetInterfaceNote(ctx, lab, port, "k", v); err != nil {
			t.Fatalf("SetInterfaceNote %s: %v", v, err)
		}
	}
	// The cache lags the transaction.
	testenv.Eventually(t, 5*time.Second, func() error {
		if v, err := c.InterfaceNote(ctx, lab, port, "k"); err != nil || v != "2" {
			return fmt.Errorf("note = %q, %v; want 2", v, err)
		}
		return nil
	})
	if v, err := c.InterfaceNote(ctx, "other", port, "k"); err != nil || v != "" {
		t.Errorf("note read as another lab = %q, %v; want none", v, err)
	}
	if v, err := c.InterfaceNote(ctx, lab, "nosuch", "k"); err != nil || v != "" {
		t.Errorf("note of a missing interface = %q, %v; want none", v, err)
	}
	if err := c.SetInterfaceNote(ctx, "other", port, "k", "3"); !errors.Is(err, ErrNotOwned) {
		t.Errorf("SetInterfaceNote as another lab: %v, want ErrNotOwned", err)
	}
}
