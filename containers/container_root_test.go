package containers

import (
	"errors"
	"maps"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

func TestRootDockerEnsure(t *testing.T) {
	c, ctx := newClient(t)
	lab := unique("lab")
	s, id, pid := sleeper(t, c, ctx, lab)
	if pid <= 0 {
		t.Fatalf("pid %d", pid)
	}
	// Checked with the docker CLI, not with the code under test.
	got := dockerInspect(t, `{{.HostConfig.NetworkMode}} {{index .Config.Labels "ovslab.lab"}} {{.HostConfig.RestartPolicy.Name}} {{.State.Running}} {{.State.Pid}}`, s.Name)
	if want := "none " + lab + " no true " + strconv.Itoa(pid); got != want {
		t.Fatalf("docker inspect: %q, want %q", got, want)
	}

	t.Run("second Ensure changes nothing", func(t *testing.T) {
		started := dockerInspect(t, "{{.State.StartedAt}}", s.Name)
		id2, pid2, err := c.Ensure(ctx, s, testLabel)
		if err != nil {
			t.Fatal(err)
		}
		if id2 != id || pid2 != pid || dockerInspect(t, "{{.State.StartedAt}}", s.Name) != started {
			t.Fatalf("second Ensure: id %s pid %d, want %s %d and no restart", id2, pid2, id, pid)
		}
	})

	t.Run("stopped container is started", func(t *testing.T) {
		testenv.Run(t, "docker", "stop", "-t", "0", s.Name)
		id2, pid2, err := c.Ensure(ctx, s, testLabel)
		if err != nil {
			t.Fatal(err)
		}
		if id2 != id || pid2 <= 0 || dockerInspect(t, "{{.State.Running}}", s.Name) != "true" {
			t.Fatalf("after stop: id %s pid %d, want %s running", id2, pid2, id)
		}
		pid = pid2
	})

	t.Run("changed command recreates", func(t *testing.T) {
		s2 := s
		s2.Command = []string{"sleep", "3600"}
		id2, pid2, err := c.Ensure(ctx, s2, testLabel)
		if err != nil {
			t.Fatal(err)
		}
		if id2 == id || pid2 <= 0 {
			t.Fatalf("changed command: same id %s", id2)
		}
		if dockerExists("container", id) {
			t.Errorf("old container %s still exists", id)
		}
		if got := dockerInspect(t, "{{json .Config.Cmd}}", s.Name); got != `["sleep","3600"]` {
			t.Errorf("Cmd %s", got)
		}
		id = id2
		s = s2
	})

	t.Run("changed labels recreate", func(t *testing.T) {
		s2 := s
		s2.Labels = map[string]string{testLabel: lab, "ovslab.node": "doc1"}
		id2, _, err := c.Ensure(ctx, s2, testLabel)
		if err != nil {
			t.Fatal(err)
		}
		if id2 == id || dockerInspect(t, `{{index .Config.Labels "ovslab.node"}}`, s.Name) != "doc1" {
			t.Fatalf("changed labels: id %s (was %s)", id2, id)
		}
	})

	t.Run("command that cannot start is a clear error", func(t *testing.T) {
		bad := Spec{Name: unique("bad"), Image: BuiltinImage, Command: []string{"/nonexistent-ovslab"}, Labels: map[string]string{testLabel: lab}}
		removeAtEnd(t, c, bad.Name)
		_, _, err := c.Ensure(ctx, bad, testLabel)
		if err == nil || !strings.Contains(err.Error(), bad.Name) || !strings.Contains(err.Error(), "/nonexistent-ovslab") {
			t.Fatalf("Ensure(bad command) = %v, want an error naming the container and the command", err)
		}
	})
}

// TestRootDockerEnsurePIDHint: a listed container is taken as it is with
// the PID hint only while that process is in the container; a hint from
// another process or from before a restart gives way to Docker's PID.
func TestRootDockerEnsurePIDHint(t *testing.T) {
	c, ctx := newClient(t)
	lab := unique("lab")
	s, id, pid := sleeper(t, c, ctx, lab)
	listed := func() *Listed {
		t.Helper()
		all, err := c.Listed(ctx, map[string]string{testLabel: lab})
		if err != nil {
			t.Fatal(err)
		}
		l := all[s.Name]
		if l == nil || l.ID != id || l.State != "running" || l.NetworkMode != "none" || l.Labels[testLabel] != lab {
			t.Fatalf("Listed()[%s] = %+v, want the running container %s", s.Name, l, id)
		}
		return l
	}
	ensure := func(hint int) int {
		t.Helper()
		s2 := s
		s2.Listed, s2.PIDHint = listed(), hint
		id2, pid2, err := c.Ensure(ctx, s2, testLabel)
		if err != nil || id2 != id {
			t.Fatalf("Ensure with hint %d: id %s, %v; want %s", hint, id2, err, id)
		}
		return pid2
	}
	// Checked with the docker CLI, not with the code under test.
	dockerPID := func() int {
		t.Helper()
		n, err := strconv.Atoi(dockerInspect(t, "{{.State.Pid}}", s.Name))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// ListHinted takes the same hints: a wrong one gives way to an inspect.
	listHinted := func(hint int) int {
		t.Helper()
		infos, err := c.ListHinted(ctx, map[string]string{testLabel: lab}, map[string]int{s.Name: hint})
		if err != nil || len(infos) != 1 || infos[0].ID != id || infos[0].State != "running" {
			t.Fatalf("ListHinted with hint %d: %+v, %v; want the running container %s", hint, infos, err, id)
		}
		return infos[0].Pid
	}

	if got := ensure(pid); got != pid {
		t.Errorf("right hint: pid %d, want %d", got, pid)
	}
	if got := listHinted(pid); got != pid {
		t.Errorf("ListHinted, right hint: pid %d, want %d", got, pid)
	}
	if got := ensure(os.Getpid()); got != pid {
		t.Errorf("hint of a process outside the container: pid %d, want %d", got, pid)
	}
	if got := listHinted(os.Getpid()); got != pid {
		t.Errorf("ListHinted, hint of a process outside the container: pid %d, want %d", got, pid)
	}
	// A process exec'd into the container shares its cgroup but is not
	// its main process.
	testenv.Run(t, "docker", "exec", "-d", s.Name, "sleep", "1001")
	var exec int
	for _, line := range strings.Split(testenv.Run(t, "docker", "top", s.Name, "-o", "pid,args"), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[1] == "sleep" && f[2] == "1001" {
			exec, _ = strconv.Atoi(f[0])
		}
	}
	if exec <= 0 {
		t.Fatal("docker top does not show the exec'd sleep 1001")
	}
	if got := ensure(exec); got != pid {
		t.Errorf("hint of a process exec'd into the container: pid %d, want %d", got, pid)
	}
	if got := listHinted(exec); got != pid {
		t.Errorf("ListHinted, hint of a process exec'd into the container: pid %d, want %d", got, pid)
	}
	testenv.Run(t, "docker", "restart", "-t", "0", s.Name)
	if got, want := listHinted(pid), dockerPID(); got != want || got == pid {
		t.Errorf("ListHinted, hint from before a restart: pid %d, want the new %d (old %d)", got, want, pid)
	}
	if got, want := ensure(pid), dockerPID(); got != want || got == pid {
		t.Errorf("hint from before a restart: pid %d, want the new %d (old %d)", got, want, pid)
	}
}

func TestRootDockerEnsureNotOwned(t *testing.T) {
	c, ctx := newClient(t)
	ensureBuiltin(t, c, ctx)
	for _, tc := range []struct {
		name  string
		extra []string
	}{
		{"unlabelled", nil},
		{"another lab's", []string{"--label", LabLabel + "=someone-else"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := unique("foreign")
			removeAtEnd(t, c, name)
			args := append([]string{"run", "-d", "--net", "none", "--name", name}, tc.extra...)
			id := strings.TrimSpace(testenv.Run(t, "docker", append(args, BuiltinImage, "sleep", "infinity")...))
			started := dockerInspect(t, "{{.State.StartedAt}}", name)

			s := Spec{Name: name, Image: BuiltinImage, Command: []string{"sleep", "infinity"}, Labels: map[string]string{testLabel: unique("lab")}}
			_, _, err := c.Ensure(ctx, s, testLabel)
			if !errors.Is(err, ErrNotOwned) || !strings.Contains(err.Error(), name) {
				t.Fatalf("Ensure over %s container = %v, want ErrNotOwned naming it", tc.name, err)
			}
			if got := dockerInspect(t, "{{.Id}} {{.State.StartedAt}}", name); got != id+" "+started {
				t.Fatalf("foreign container touched: %q, want %q", got, id+" "+started)
			}
		})
	}
}

func TestRootDockerListRemove(t *testing.T) {
	c, ctx := newClient(t)
	lab := unique("lab")
	a, idA, pidA := sleeper(t, c, ctx, lab)
	b, idB, _ := sleeper(t, c, ctx, lab)
	sleeper(t, c, ctx, unique("otherlab"))

	got, err := c.List(ctx, map[string]string{LabLabel: lab})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("List = %+v, want the lab's 2 containers", got)
	}
	for _, in := range got {
		if in.State != "running" || in.Pid <= 0 || in.NetworkMode != "none" || in.Image != BuiltinImage || in.Labels[LabLabel] != lab {
			t.Errorf("List entry %+v", in)
		}
	}
	if got[0].Name > got[1].Name {
		t.Errorf("List not sorted by name: %s, %s", got[0].Name, got[1].Name)
	}
	found := false
	for _, in := range got {
		if in.Name == a.Name {
			found = in.ID == idA && in.Pid == pidA
		}
	}
	if !found {
		t.Errorf("List = %+v, want %s with ID %s and pid %d", got, a.Name, idA, pidA)
	}

	if err := c.Remove(ctx, idB); err != nil {
		t.Fatal(err)
	}
	if dockerExists("container", b.Name) {
		t.Fatalf("%s still exists after Remove", b.Name)
	}
	if err := c.Remove(ctx, idB); err != nil {
		t.Fatalf("second Remove: %v (not found must be success)", err)
	}
	if got, _ := c.List(ctx, map[string]string{LabLabel: lab}); len(got) != 1 {
		t.Fatalf("List after Remove = %+v", got)
	}
}

// ListPrefixed lists a lab's containers by name prefix as List does,
// the prefix taken literally.
func TestRootDockerListPrefixed(t *testing.T) {
	c, ctx := newClient(t)
	lab := unique("lab")
	_, idA, pidA := sleeper(t, c, ctx, lab)
	_, idB, pidB := sleeper(t, c, ctx, lab)
	for _, tc := range []struct {
		prefix string
		want   map[string]int // ID -> PID
	}{
		{"ovslabtest-ctr-", map[string]int{idA: pidA, idB: pidB}},
		{"ovslabtest.ctr-", nil}, // a dot matches only a dot
		{"ctr-", nil},            // a prefix, not a substring
	} {
		got, err := c.ListPrefixed(ctx, tc.prefix, map[string]string{LabLabel: lab})
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]int{}
		for _, in := range got {
			have[in.ID] = in.Pid
		}
		if !maps.Equal(have, tc.want) {
			t.Errorf("ListPrefixed(%q) = %+v, want IDs and PIDs %v", tc.prefix, got, tc.want)
		}
	}
}

func TestRootDockerExec(t *testing.T) {
	c, ctx := newClient(t)
	s, _, _ := sleeper(t, c, ctx, unique("lab"))

	var out, errb strings.Builder
	code, err := c.Exec(ctx, s.Name, []string{"sh", "-c", "echo out; echo err >&2; exit 3"}, nil, &out, &errb)
	if err != nil || code != 3 || out.String() != "out\n" || errb.String() != "err\n" {
		t.Fatalf("Exec = %d %v, stdout %q stderr %q", code, err, out.String(), errb.String())
	}

	out.Reset()
	code, err = c.Exec(ctx, s.Name, []string{"cat"}, strings.NewReader("through stdin\n"), &out, nil)
	if err != nil || code != 0 || out.String() != "through stdin\n" {
		t.Fatalf("Exec cat = %d %v %q", code, err, out.String())
	}

	out.Reset()
	code, err = c.Exec(ctx, s.Name, []string{"sh", "-c", "echo $GREETING"}, nil, &out, nil, WithEnv("GREETING=hi"))
	if err != nil || code != 0 || out.String() != "hi\n" {
		t.Fatalf("Exec with env = %d %v %q", code, err, out.String())
	}

	if _, err := c.Exec(ctx, unique("nosuch"), []string{"true"}, nil, os.Stdout, os.Stderr); err == nil {
		t.Fatal("Exec in a missing container succeeded")
	}
}
