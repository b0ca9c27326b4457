package labs

import (
	"errors"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/containers"
)

// TestContainerClashNamesTheFix: a container of another lab is cleared by
// taking that lab down or bringing this one up under another name, never
// by removing it by hand (that breaks the other lab); an unmarked one may
// be removed by hand if it is stale.
func TestContainerClashNamesTheFix(t *testing.T) {
	err := containerClash(errors.Join(
		&containers.NotOwnedError{Name: "doc3", Key: labelLab, Owner: "mtu-broken", Want: "l3-vxlan"},
		&containers.NotOwnedError{Name: "doc1", Key: labelLab, Owner: "mtu-broken", Want: "l3-vxlan"},
		&containers.NotOwnedError{Name: "doc4", Key: labelLab, Want: "l3-vxlan"},
	))
	if !errors.Is(err, containers.ErrNotOwned) {
		t.Errorf("error %v does not match ErrNotOwned", err)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 {
		t.Fatalf("want one line for lab mtu-broken's containers and one for the unmarked one, got:\n%v", err)
	}
	for _, want := range []string{
		`containers "doc1" and "doc3" belong to lab mtu-broken, which is up on this machine`,
		"take that lab down (ovslab down mtu-broken) or bring this one up as a copy under another name (ovslab up --name NAME ...)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message lacks %q:\n%v", want, err)
		}
	}
	for _, l := range lines {
		if strings.Contains(l, "mtu-broken") && strings.Contains(l, "by hand") {
			t.Errorf("another lab's containers must not be removed by hand:\n%v", l)
		}
	}
	if !strings.Contains(err.Error(), `container "doc4" is not ovslab's (no ovslab.lab label): rename or remove it by hand if you know it is stale`) {
		t.Errorf("unmarked container: %v", err)
	}
	if containerClash(nil) != nil {
		t.Error("no clash, yet an error")
	}
}
