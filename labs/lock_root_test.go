package labs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ovslab/ovslab/internal/testenv"
)

// progressLog records the progress lines of concurrent runs in the order
// they happened, each tagged with its run.
type progressLog struct {
	mu    sync.Mutex
	lines []string // "run: line"
}

func (l *progressLog) tagged(run string, first chan<- struct{}) func(string, ...any) {
	var once sync.Once
	return func(format string, args ...any) {
		l.mu.Lock()
		l.lines = append(l.lines, run+": "+fmt.Sprintf(format, args...))
		l.mu.Unlock()
		if first != nil {
			once.Do(func() { close(first) })
		}
	}
}

func TestRootLockSerialisesUps(t *testing.T) {
	requireLabTools(t)
	const lab, p = "lk-twoups", "lkt"
	cleanupLab(t, lab)
	text := labYAML(t, lab, p)

	var log progressLog
	started := make(chan struct{})
	errs := make(chan error, 2)
	go func() {
		errs <- Up(context.Background(), mustSource(t, text), Options{Emulate: true, Progress: log.tagged("A", started)})
	}()
	// A reports progress only once it holds the lock, so B surely meets it.
	select {
	case <-started:
	case err := <-errs:
		t.Fatalf("first up ended before reporting progress: %v", err)
	}
	go func() {
		errs <- Up(context.Background(), mustSource(t, text), Options{Emulate: true, Progress: log.tagged("B", nil)})
	}()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent up: %v", err)
		}
	}
	t.Logf("progress:\n%s", strings.Join(log.lines, "\n"))

	lastA, firstB, waited := -1, -1, false
	for i, l := range log.lines {
		switch {
		case strings.HasPrefix(l, "B: waiting for another ovslab up/down"):
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
	out := testenv.Run(t, "docker", "ps", "-a", "--filter", "label=ovslab.lab="+lab, "--format", "{{.Names}}")
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

	held, err := Acquire(ctx, lab, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	released := false
	defer func() {
		if !released {
			held.Release()
		}
	}()
	start := time.Now()
	err = Up(ctx, mustSource(t, text), Options{Emulate: true, NoWait: true})
	t.Logf("up --no-wait on a locked lab returned after %s: %v", time.Since(start), err)
	if !errors.Is(err, ErrLocked) {
		t.Errorf("up --no-wait on a locked lab: %v, want ErrLocked", err)
	}
	if ns := labNetns(t, lab); len(ns) > 0 {
		t.Errorf("refused up created netns %v", ns)
	}
	if err := Down(ctx, lab, Options{NoWait: true}); !errors.Is(err, ErrLocked) {
		t.Errorf("down --no-wait on a locked lab: %v, want ErrLocked", err)
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

	held.Release()
	released = true
	if err := Up(ctx, mustSource(t, text), Options{Emulate: true, NoWait: true}); err != nil {
		t.Fatalf("up --no-wait after release: %v", err)
	}
	requireHealthy(t, lab)
	if err := Down(ctx, lab, Options{NoWait: true}); err != nil {
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
			if _, err := Acquire(ctx, name, true, nil); err == nil {
				t.Errorf("Acquire(%q) succeeded", name)
			}
			if err := Down(ctx, name, Options{}); err == nil {
				t.Errorf("Down(%q) succeeded", name)
			}
			if _, err := GetStatus(ctx, name, Options{}); err == nil {
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
	src := mustSource(t, labYAML(t, "lk-bad", "lkb"))
	src.Topo.Name = "../etc"
	if err := Up(ctx, src, Options{Emulate: true}); err == nil {
		t.Error("up of a lab named ../etc succeeded")
	} else {
		t.Logf("up of a lab named ../etc: %v", err)
	}
	if after := statOrNil(filepath.Join(RunRoot, "..", "etc")); (before == nil) != (after == nil) {
		t.Errorf("up of a lab named ../etc changed %s", filepath.Join(RunRoot, "..", "etc"))
	}
	if ns := labNetns(t, "../etc"); len(ns) > 0 {
		t.Errorf("netns %v made for a lab named ../etc", ns)
	}
	if out := strings.TrimSpace(testenv.Run(t, "docker", "ps", "-aq", "--filter", "name=lkbdoc")); out != "" {
		t.Errorf("containers made for a lab named ../etc: %s", out)
	}
}

func countLines(lines []string, subs ...string) int {
	n := 0
	for _, l := range lines {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(l, s)
		}
		if all {
			n++
		}
	}
	return n
}

func statOrNil(path string) os.FileInfo {
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	return fi
}
