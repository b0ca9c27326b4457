package testenv

import (
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// maxClashTries bounds DockerIDClash. IDs are random: among n containers
// two share their first two hex digits with probability about
// 1-exp(-n²/512), so 200 fail to clash about once in 10^34 runs.
const maxClashTries = 200

// clashBatch containers are created at once: about 20 are needed on
// average, and one `docker create` takes most of a second on a busy
// machine.
const clashBatch = 8

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
	byPrefix := map[string]bool{}
	for len(ids) < maxClashTries {
		batch, err := createBatch(image, name, len(ids))
		ids = append(ids, batch...)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range batch {
			p := id[:2]
			if byPrefix[p] && !dockerNameTaken(t, p) {
				t.Logf("%d throwaway containers until two IDs began with %s", len(ids), p)
				return p, ids
			}
			byPrefix[p] = true
		}
	}
	t.Fatalf("%d containers and no two IDs share their first two hex digits", len(ids))
	return "", nil
}

// createBatch creates clashBatch containers concurrently, numbered from
// first, and returns the IDs of those it made.
func createBatch(image, name string, first int) ([]string, error) {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ids  []string
		errs []string
	)
	for i := range clashBatch {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := exec.Command("docker", "create", "--net", "none", "--label", "ovslab.test="+name,
				"--name", fmt.Sprintf("%s-%d", name, first+i), image).CombinedOutput()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Sprintf("docker create: %v: %s", err, out))
				return
			}
			ids = append(ids, strings.TrimSpace(string(out)))
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return ids, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return ids, nil
}

// dockerNameTaken reports whether a container is called exactly name.
func dockerNameTaken(t testing.TB, name string) bool {
	t.Helper()
	return strings.TrimSpace(Run(t, "docker", "ps", "-aq", "--filter", "name=^/"+name+"$")) != ""
}
