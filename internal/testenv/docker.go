package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// maxClashTries bounds DockerIDClash. IDs are random: among n containers
// two share their first two hex digits with probability about
// 1-exp(-n²/512), so 200 fail to clash about once in 10^34 runs.
const maxClashTries = 200

// DockerIDClash creates throwaway containers of image (created, never
// started: cheap) named NAME-N and labelled ovslab.test=NAME until two of
// their IDs share the first two hex digits, a prefix no container is named
// after. Docker resolves such a prefix, asked for by name, as "Multiple IDs
// found". The containers are removed when the test ends, pass or fail. It
// returns the prefix and the IDs of every throwaway container.
func DockerIDClash(t testing.TB, image, name string) (prefix string, ids []string) {
	t.Helper()
	t.Cleanup(func() {
		if len(ids) > 0 {
			if out, err := exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).CombinedOutput(); err != nil {
				t.Errorf("cleanup: docker rm: %v\n%s", err, out)
			}
		}
	})
	byPrefix := map[string]string{}
	for i := range maxClashTries {
		out := Run(t, "docker", "create", "--net", "none", "--label", "ovslab.test="+name,
			"--name", fmt.Sprintf("%s-%d", name, i), image)
		id := strings.TrimSpace(out)
		ids = append(ids, id)
		p := id[:2]
		if _, clash := byPrefix[p]; clash && !dockerNameTaken(t, p) {
			return p, ids
		}
		byPrefix[p] = id
	}
	t.Fatalf("%d containers and no two IDs share their first two hex digits", maxClashTries)
	return "", nil
}

// dockerNameTaken reports whether a container is called exactly name.
func dockerNameTaken(t testing.TB, name string) bool {
	t.Helper()
	return strings.TrimSpace(Run(t, "docker", "ps", "-aq", "--filter", "name=^/"+name+"$")) != ""
}
