package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/testenv"
)

// progressLog records the progress lines of concurrent runs in the order
// they happened, each tagged with its run.
type progressLog struct {
	mu    sync.Mutex
	lines []string // "run: line"
}

// tagged returns a Progress func that records run's lines.
func (l *progressLog) tagged(run string) func(string, ...any) {
	return func(format string, args ...any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.lines = append(l.lines, run+": "+fmt.Sprintf(format, args...))
	}
}

func (l *progressLog) snapshot() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

const waitingLine = "waiting for another ovslab up/down of "

// TestRootLockUpWaitsForHolder: while another holds the lab's lock, up
// says it waits and touches nothing; once the lock is released it builds
// the lab.
func TestRootLockUpWaitsForHolder(t *testing.T) {
	requireLabTools(t)
	const lab, p = "lk-held", "lkh"
	cleanupLab(t, lab)
	src := mustSource(t, labYAML(t, lab, p))
	// A bound on a hung up, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	held, err := acquire(ctx, lab, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	var log progressLog
	done := make(chan struct{})
	var upErr error
	go func() {
		defer close(done)
		upErr = Up(ctx, src, UpOptions{Emulate: true, Reporter: Reporter{Progress: log.tagged("up")}})
	}()
	// Runs before cleanupLab's down, which would otherwise wait on the lock.
	t.Cleanup(func() {
		cancel()
		held.release()
		<-done
	})
	returned := func() bool {
		select {
		case <-done:
			return true
		default:
			return false
		}
	}

	testenv.Eventually(t, time.Minute, func() error {
		if returned() {
			t.Fatalf("up returned while the lock was held: %v\nprogress: %q", upErr, log.snapshot())
		}
		if !slices.Contains(log.snapshot(), "up: "+waitingLine+lab) {
			return fmt.Errorf("up has not said it waits; progress: %q", log.snapshot())
		}
		return nil
	})
	if returned() {
		t.Fatalf("up returned while the lock was held: %v", upErr)
	}
	if lines := log.snapshot(); lines[len(lines)-1] != "up: "+waitingLine+lab {
		t.Errorf("up went on while the lock was held: %q", lines)
	}
	if ns := labNetns(t, lab); len(ns) > 0 {
		t.Errorf("up made netns %v while the lock was held", ns)
	}
	if out := strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--filter", "label="+labelLab+"="+lab)); out != "" {
		t.Errorf("up made containers while the lock was held: %s", out)
	}
	if _, err := LoadState(lab); !errors.Is(err, errNoLab) {
		t.Errorf("up wrote state while the lock was held: %v", err)
	}

	held.release()
	<-done
	if upErr != nil {
		t.Fatalf("up once the lock was released: %v", upErr)
	}
	t.Logf("progress:\n%s", strings.Join(log.snapshot(), "\n"))
	requireHealthy(t, lab)
	mustReach(t, containerPid(t, p+"doc1"), "doc1", "10.0.1.20")
}

// TestRootLockSerialisesUps: a second up of the same lab waits for the
// first, then finds the lab built and adds nothing twice. The first up is
// held at its first step (it has the lock by then) until the second says
// it waits, so the two always meet.
func TestRootLockSerialisesUps(t *testing.T) {
	requireLabTools(t)
	const lab, p = "lk-twoups", "lkt"
	cleanupLab(t, lab)
	text := labYAML(t, lab, p)
	srcA, srcB := mustSource(t, text), mustSource(t, text)
	// A bound on a hung up, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	var log progressLog
	recA, recB := log.tagged("A"), log.tagged("B")
	aHolds, bWaits, bDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var onceA, onceB sync.Once
	progressA := func(format string, args ...any) {
		recA(format, args...)
		if strings.HasPrefix(fmt.Sprintf(format, args...), waitingLine) {
			return // not holding the lock yet
		}
		onceA.Do(func() {
			close(aHolds)
			select {
			case <-bWaits:
			case <-bDone: // B never waited: the assertions below say so
			case <-ctx.Done():
			}
		})
	}
	progressB := func(format string, args ...any) {
		recB(format, args...)
		if strings.HasPrefix(fmt.Sprintf(format, args...), waitingLine) {
			onceB.Do(func() { close(bWaits) })
		}
	}

	errA, errB := make(chan error, 1), make(chan error, 1)
	go func() { errA <- Up(ctx, srcA, UpOptions{Emulate: true, Reporter: Reporter{Progress: progressA}}) }()
	select {
	case <-aHolds:
	case err := <-errA:
		t.Fatalf("first up ended before its first step: %v", err)
	}
	go func() {
		defer close(bDone)
		errB <- Up(ctx, srcB, UpOptions{Emulate: true, Reporter: Reporter{Progress: progressB}})
	}()
	if err := <-errA; err != nil {
		t.Errorf("first up: %v", err)
	}
	if err := <-errB; err != nil {
		t.Errorf("second up: %v", err)
	}
	lines := log.snapshot()
	t.Logf("progress:\n%s", strings.Join(lines, "\n"))

	lastA, firstB, waited := -1, -1, false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "B: "+waitingLine):
			waited = true
		case strings.HasPrefix(l, "A: "):
			lastA = i
		case strings.HasPrefix(l, "B: ") && firstB < 0:
			firstB = i
		}
	}
	if !waited {
		t.Error("the second up never said it was waiting for the first")
	}
	if firstB < 0 || firstB < lastA {
		t.Errorf("the ups interleaved: B's first step at line %d, A's last at %d", firstB, lastA)
	}
	requireHealthy(t, lab)
	out := testenv.Run(t, "docker", "ps", "-a", "--filter", "label="+labelLab+"="+lab, "--format", "{{.Names}}")
	if got := strings.Fields(out); len(got) != 4 {
		t.Errorf("containers after two ups: %v, want 4", got)
	}
	rules := iptablesSave(t, lab, "host1")
	if n := countLines(rules, "-s 10.0.1.0/24", "MASQUERADE"); n != 1 {
		t.Errorf("%d MASQUERADE rules for net1 after two ups, want 1", n)
	}
	for h, want := range map[string]int{"host1": 3, "host2": 2} { // gateway, tunnel, one container
		if ports := strings.Fields(mustVsctl(t, lab, h, "list-ports", "br1")); len(ports) != want {
			t.Errorf("%s br1 ports after two ups: %v, want %d", h, ports, want)
		}
	}
	mustReach(t, containerPid(t, p+"doc1"), "doc1", "10.0.1.20")
}

func TestRootLockNoWait(t *testing.T) {
	requireLabTools(t)
	const lab, p = "lk-nowait", "lkn"
	cleanupLab(t, lab)
	text := labYAML(t, lab, p)
	ctx := context.Background()

	held, err := acquire(ctx, lab, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			held.release()
		}
	}()
	start := time.Now()
	err = Up(ctx, mustSource(t, text), UpOptions{Emulate: true, NoWait: true})
	t.Logf("up --no-wait on a locked lab returned after %s: %v", time.Since(start), err)
	if !errors.Is(err, errLocked) {
		t.Errorf("up --no-wait on a locked lab: %v, want errLocked", err)
	}
	if ns := labNetns(t, lab); len(ns) > 0 {
		t.Errorf("refused up created netns %v", ns)
	}
	if err := Down(ctx, lab, DownOptions{NoWait: true}); !errors.Is(err, errLocked) {
		t.Errorf("down --no-wait on a locked lab: %v, want errLocked", err)
	}

	// Another process sees the same lock: the CLI, built once.
	bin := filepath.Join(t.TempDir(), "ovslab")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/ovslab").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "lab.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"up", "--emulate", "--no-wait", file}, {"down", "--no-wait", lab}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "locked") {
			t.Errorf("ovslab %v while the lab is locked: %v\n%s", args, err, out)
		}
		t.Logf("ovslab %v while the lab is locked: %v: %s", args, err, out)
	}

	held.release()
	released = true
	if err := Up(ctx, mustSource(t, text), UpOptions{Emulate: true, NoWait: true}); err != nil {
		t.Fatalf("up --no-wait after release: %v", err)
	}
	requireHealthy(t, lab)
	if err := Down(ctx, lab, DownOptions{NoWait: true}); err != nil {
		t.Fatalf("down --no-wait after release: %v", err)
	}
	assertGone(t, lab)
}

func TestRootLockBadLabName(t *testing.T) {
	requireLabTools(t)
	ctx := context.Background()
	for _, name := range []string{"../etc", "..", "", "a/b", "-x", "UPPER", strings.Repeat("a", 25)} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			if d, err := Dir(name); err == nil {
				t.Errorf("Dir(%q) = %s, want an error", name, d)
			}
			if _, err := acquire(ctx, name, true, nil); err == nil {
				t.Errorf("acquire(%q) succeeded", name)
			}
			if err := Down(ctx, name, DownOptions{}); err == nil {
				t.Errorf("Down(%q) succeeded", name)
			}
			if _, err := GetStatus(ctx, name, StatusOptions{}); err == nil {
				t.Errorf("GetStatus(%q) succeeded", name)
			}
		})
	}
	// The file parser refuses it with the field; Up refuses it even when
	// a caller builds the model by hand.
	bad := strings.Replace(labYAML(t, "lk-bad", "lkb"), "name: lk-bad", `name: "../etc"`, 1)
	if _, err := sourceFromData("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "name") {
		t.Errorf("parsing a lab named ../etc: %v, want an error about name", err)
	}
	before := statOrNil(filepath.Join(RunRoot, "..", "etc"))
	etcBefore := map[string]os.FileInfo{}
	for _, n := range []string{"host1", "host2", routerNode, wanNode} {
		etcBefore[n] = statOrNil(filepath.Join(nsutil.NetnsDir, "..", "etc-"+n))
	}
	src := mustSource(t, labYAML(t, "lk-bad", "lkb"))
	src.Topo.Name = "../etc"
	if err := Up(ctx, src, UpOptions{Emulate: true}); err == nil {
		t.Error("up of a lab named ../etc succeeded")
	} else {
		t.Logf("up of a lab named ../etc: %v", err)
	}
	if after := statOrNil(filepath.Join(RunRoot, "..", "etc")); (before == nil) != (after == nil) {
		t.Errorf("up of a lab named ../etc changed %s", filepath.Join(RunRoot, "..", "etc"))
	}
	// Where `ip netns add ../etc-<node>` would put them.
	for _, n := range []string{"host1", "host2", routerNode, wanNode} {
		if p := filepath.Join(nsutil.NetnsDir, "..", "etc-"+n); (statOrNil(p) == nil) != (etcBefore[n] == nil) {
			t.Errorf("up of a lab named ../etc changed %s", p)
		}
	}
	if out := strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--filter", "name=lkbdoc")); out != "" {
		t.Errorf("containers made for a lab named ../etc: %s", out)
	}
}

func statOrNil(path string) os.FileInfo {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return fi
}

// TestRootLockNotHeldByOtherUsers: a local user who is not root flocks
// every file of a lab's under /run/ovslab it can open (its directory's
// entries and its lock), and root's down --no-wait still goes ahead.
// flock works on a read-only descriptor, so a readable lock file would
// let anyone block up and down of the lab for as long as they like.
func TestRootLockNotHeldByOtherUsers(t *testing.T) {
	requireLabTools(t)
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	const lab = "lk-nobody"
	cleanupLab(t, lab)
	ctx := context.Background()
	l, err := acquire(ctx, lab, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.release()
	if err := (&State{Lab: lab, Mode: ModeEmulated}).Save(); err != nil {
		t.Fatal(err)
	}
	dir, _ := Dir(lab)
	files := []string{dir, filepath.Join(RunRoot, ".locks"), filepath.Join(RunRoot, ".locks", lab)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		files = append(files, filepath.Join(dir, e.Name()))
	}
	var holders []*exec.Cmd
	t.Cleanup(func() {
		for _, c := range holders {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			continue
		}
		c := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			"flock", "-n", f, "sh", "-c", "echo held; exec sleep 120")
		out, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		line := make([]byte, 5)
		if n, _ := out.Read(line); string(line[:n]) == "held\n" {
			// The state is for all to read (status); root locks none of it.
			t.Logf("user nobody holds a flock on %s", f)
			holders = append(holders, c)
			continue
		}
		_ = c.Wait()
	}
	if err := Down(ctx, lab, DownOptions{NoWait: true}); err != nil {
		t.Errorf("down --no-wait while nobody holds every file of the lab's it can open: %v", err)
	}
}
