package containers

import (
	"errors"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootDockerExactNames: names that are also prefixes of other
// containers' IDs. Docker resolves such a name as an ID prefix ("Multiple
// IDs found" for two matches, the other container for one); every lookup
// here must mean the container of that exact name and nothing else.
func TestRootDockerExactNames(t *testing.T) {
	c, ctx := newClient(t)
	ensureBuiltin(t, c, ctx)
	name, others := testenv.DockerIDClash(t, BuiltinImage, "pc-ctrclash")
	lab := unique("lab")
	before := testenv.Run(t, "docker", append([]string{"inspect", "-f", "{{.Id}} {{.Name}} {{.State.Status}}"}, others...)...)

	if err := c.CheckOwner(ctx, name, LabLabel, lab); err != nil {
		t.Fatalf("CheckOwner(%q) with no container of that name = %v", name, err)
	}
	s := Spec{Name: name, Image: BuiltinImage, Hostname: name, Labels: map[string]string{LabLabel: lab}}
	id, _, err := c.Ensure(ctx, s, LabLabel)
	if err != nil {
		t.Fatalf("Ensure(%q): %v", name, err)
	}
	t.Cleanup(func() { _ = c.Remove(ctx, id) })
	if got := strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--no-trunc", "--filter", "name=^/"+name+"$")); got != id {
		t.Fatalf("container named %s is %q, Ensure returned %s", name, got, id)
	}
	if again, _, err := c.Ensure(ctx, s, LabLabel); err != nil || again != id {
		t.Errorf("second Ensure = %s, %v; want the same container %s", again, err, id)
	}
	if err := c.CheckOwner(ctx, name, LabLabel, "another-lab"); !errors.Is(err, ErrNotOwned) {
		t.Errorf("CheckOwner for another lab = %v, want ErrNotOwned", err)
	}
	if out := execOut(t, c, ctx, name, "hostname"); strings.TrimSpace(out) != name {
		t.Errorf("Exec in %s ran in a container called %q", name, out)
	}

	// A prefix of exactly one other container's ID, named by nobody:
	// Docker alone would exec in that container.
	if p := soleIDPrefix(t, others); p != "" {
		if _, err := c.Exec(ctx, p, []string{"true"}, nil, nil, nil); !errors.Is(err, ErrNoContainer) {
			t.Errorf("Exec(%q), a prefix of only %s's ID = %v, want ErrNoContainer", p, others[0], err)
		}
	}
	if err := c.Remove(ctx, id); err != nil {
		t.Fatal(err)
	}
	if after := testenv.Run(t, "docker", append([]string{"inspect", "-f", "{{.Id}} {{.Name}} {{.State.Status}}"}, others...)...); after != before {
		t.Errorf("look-alike containers changed:\nbefore %s\nafter  %s", before, after)
	}
}

// soleIDPrefix returns a 3-digit prefix of one of ids that no other
// container's ID starts with, or "" if there is none.
func soleIDPrefix(t *testing.T, ids []string) string {
	t.Helper()
	all := strings.Fields(testenv.Run(t, "docker", "ps", "-aq", "--no-trunc"))
	for _, id := range ids {
		p, n := id[:3], 0
		for _, other := range all {
			if strings.HasPrefix(other, p) {
				n++
			}
		}
		if n == 1 {
			return p
		}
	}
	return ""
}
