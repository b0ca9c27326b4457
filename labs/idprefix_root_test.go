package labs

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/testenv"
)

// TestRootNodeNamedLikeIDPrefix: a node whose name is also the first two
// hex digits of two other containers' IDs. Docker, asked for that name,
// answers "Multiple IDs found"; ovslab must look containers up by their
// exact name, make the lab's own, and leave the look-alikes alone through
// up, a repeated up, exec and down.
func TestRootNodeNamedLikeIDPrefix(t *testing.T) {
	requireLabTools(t)
	ctx := context.Background()
	dc, err := containers.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	if err := dc.EnsureImage(ctx, containers.BuiltinImage, ""); err != nil {
		t.Fatal(err)
	}
	node, others := testenv.DockerIDClash(t, containers.BuiltinImage, "pc-idclash")
	// The control: Docker itself cannot tell which container "node" is.
	if out, err := exec.Command("docker", "inspect", node).CombinedOutput(); err == nil || !strings.Contains(string(out), "Multiple IDs found") {
		t.Fatalf("docker inspect %s: %v, want Multiple IDs found:\n%s", node, err, out)
	}
	before := dockerStates(t, others)

	const lab = "pc-idprefix"
	cleanupLab(t, lab)
	src := mustSource(t, fmt.Sprintf(`name: %s
hosts:
  host1: {underlay: 172.16.31.100/24, gateway: 172.16.31.1}
networks:
  n1: {subnet: 10.9.2.0/24, vni: 902, gateway: {host: host1}}
containers:
  %q: {host: host1, image: ovslab/busybox, network: n1, address: 10.9.2.10}
`, lab, node))
	if err := Up(ctx, src, UpOptions{Emulate: true}); err != nil {
		t.Fatalf("up with node %q: %v", node, err)
	}
	mine := labContainer(t, lab, node)
	if mine == "" {
		t.Fatalf("no container named %s with label %s=%s after up", node, labelLab, lab)
	}
	if err := Up(ctx, src, UpOptions{Emulate: true}); err != nil {
		t.Fatalf("second up: %v", err)
	}
	if again := labContainer(t, lab, node); again != mine {
		t.Errorf("second up replaced the lab's container %s by %q", mine, again)
	}
	var out strings.Builder
	if code, err := Exec(ctx, lab, node, []string{"hostname"}, nil, &out, &out, false); err != nil || code != 0 || strings.TrimSpace(out.String()) != node {
		t.Errorf("exec hostname in %s = %d, %v, %q; want the lab's container answering %s", node, code, err, out.String(), node)
	}
	if got := dockerStates(t, others); got != before {
		t.Errorf("up touched the look-alike containers:\nbefore %s\nafter  %s", before, got)
	}
	if err := Down(ctx, lab, DownOptions{}); err != nil {
		t.Fatalf("down: %v", err)
	}
	if got := labContainer(t, lab, node); got != "" {
		t.Errorf("down left the lab's container %s", got)
	}
	if got := dockerStates(t, others); got != before {
		t.Errorf("down touched the look-alike containers:\nbefore %s\nafter  %s", before, got)
	}
}

// dockerStates describes the containers by ID, name, state and start
// time, read with the docker CLI; one that is gone fails the test.
func dockerStates(t *testing.T, ids []string) string {
	t.Helper()
	return testenv.Run(t, "docker", append([]string{"inspect", "-f", "{{.Id}} {{.Name}} {{.State.Status}} {{.State.StartedAt}}"}, ids...)...)
}

// labContainer is the ID of the container called exactly name that carries
// the lab's label, "" when there is none.
func labContainer(t *testing.T, lab, name string) string {
	t.Helper()
	return strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--no-trunc",
		"--filter", "name=^/"+name+"$", "--filter", "label="+labelLab+"="+lab))
}
