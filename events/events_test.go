package events

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writerEnv makes the test binary a writer process (see TestMain): several
// processes append to one log at once, as up, check and down do.
const writerEnv = "EVENTS_TEST_WRITER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(writerEnv); spec != "" {
		// path,writer,count
		f := strings.Split(spec, ",")
		n, _ := strconv.Atoi(f[2])
		for i := range n {
			if err := Append(f[0], Event{Time: time.Now(), Lab: "l", Type: UpStep, Fields: map[string]any{"w": f[1], "i": i, "pad": strings.Repeat("x", 80)}}); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestAppendAcrossProcesses has four processes append 100 events each
// (about one rotation's worth) while a Follower reads: every event
// arrives once, each writer's in order, every line whole, and no file
// outgrows the cap.
func TestAppendAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	const writers, each = 4, 100
	fl := NewFollower()
	defer fl.Close()
	var procs []*exec.Cmd
	for w := range writers {
		c := exec.Command(os.Args[0])
		c.Env = append(os.Environ(), fmt.Sprintf("%s=%s,w%d,%d", writerEnv, path, w, each))
		c.Stderr = os.Stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, c)
		t.Cleanup(func() { _ = c.Process.Kill() })
	}
	next := map[string]int{}
	seen := 0
	check := func(evs []Event) {
		for _, e := range evs {
			w, _ := e.Fields["w"].(string)
			i := int(e.Fields["i"].(float64))
			if i != next[w] {
				t.Fatalf("writer %s: event %d after %d: lost or reordered", w, i, next[w]-1)
			}
			next[w]++
			seen++
		}
	}
	done := make(chan error, writers)
	for _, c := range procs {
		go func() { done <- c.Wait() }()
	}
	for range writers {
	wait:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("writer: %v", err)
				}
				break wait
			default:
				check(fl.Poll([]string{path}))
			}
		}
	}
	check(fl.Poll([]string{path}))
	if seen != writers*each {
		t.Errorf("followed %d events; want %d", seen, writers*each)
	}
	for _, p := range []string{path, path + ".1"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v (a rotation should have made it)", p, err)
		}
		if fi.Size() > MaxLogSize {
			t.Errorf("%s is %d bytes; cap %d", p, fi.Size(), MaxLogSize)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; want 0600", p, fi.Mode().Perm())
		}
		b, _ := os.ReadFile(p)
		for _, line := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			if _, ok := decode([]byte(line)); !ok {
				t.Errorf("%s holds a line that is not an event: %q", p, line)
			}
		}
	}
	if all := Last([]string{path}, writers*each); len(all) != writers*each {
		t.Errorf("Last of all: %d events; want %d (the log and its rotation hold them all)", len(all), writers*each)
	}
	last := Last([]string{path}, 5)
	if len(last) != 5 {
		t.Fatalf("Last 5: %d events", len(last))
	}
	for i := 1; i < len(last); i++ {
		if last[i].Time.Before(last[i-1].Time) {
			t.Errorf("Last is not oldest first: %v", last)
		}
	}
}

// TestFollowerAcrossRotations: between two polls the log may be rotated
// once or twice; nothing is lost either way.
func TestFollowerAcrossRotations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	fl := NewFollower()
	defer fl.Close()
	n := 0
	for _, burst := range []int{100, 300, 500, 900, 20, 390} {
		for range burst {
			if err := Append(path, Event{Time: time.Now(), Lab: "l", Type: UpStep, Fields: map[string]any{"i": n, "pad": strings.Repeat("x", 80)}}); err != nil {
				t.Fatal(err)
			}
			n++
		}
		for _, e := range fl.Poll([]string{path}) {
			if i := int(e.Fields["i"].(float64)); i != n-burst {
				t.Fatalf("burst of %d: event %d, want %d: lost or reordered", burst, i, n-burst)
			}
			burst--
		}
		if burst != 0 {
			t.Fatalf("%d events of a burst not followed", burst)
		}
	}
}

// TestFollowerFromNowAndAcrossRemoval: a follower skips what was logged
// before it, follows a log removed and made anew (down, then up), and
// picks up a log that appears later.
func TestFollowerFromNowAndAcrossRemoval(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	put := func(path, typ string) {
		t.Helper()
		if err := Append(path, Event{Time: time.Now(), Lab: filepath.Base(path), Type: typ}); err != nil {
			t.Fatal(err)
		}
	}
	put(a, UpDone) // before the follower: not shown
	time.Sleep(time.Millisecond)
	fl := NewFollower()
	defer fl.Close()
	if got := fl.Poll([]string{a, b}); len(got) != 0 {
		t.Errorf("events from before the follower: %v", got)
	}
	put(a, DownStart)
	put(a, DownDone)
	if err := os.Remove(a); err != nil {
		t.Fatal(err)
	}
	put(a, UpStart) // a new file at the same path
	put(b, CheckDone)
	got := types(fl.Poll([]string{a, b}))
	if want := "down.start down.done up.start check.done"; got != want {
		t.Errorf("followed %q; want %q", got, want)
	}
	if got := types(fl.Poll([]string{a, b})); got != "" {
		t.Errorf("a second poll repeats %q", got)
	}
	// A log written to its end and removed between two polls, as down
	// does with the lab's directory: the caller no longer names it, and
	// its last lines still come.
	put(b, DownStart)
	put(b, DownDone)
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	if got := types(fl.Poll([]string{a})); got != "down.start down.done" {
		t.Errorf("a removed log's last lines: %q; want down.start down.done", got)
	}
}

func TestAppendRefusesSymlinkAndCutsLongFields(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "events.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := Append(link, Event{Time: time.Now(), Lab: "l", Type: UpStart}); err == nil {
		t.Error("Append wrote through a symlink")
	}
	if b, _ := os.ReadFile(target); len(b) != 0 {
		t.Errorf("the symlink's target got %q", b)
	}
	if err := Append(filepath.Join(dir, "gone", "events.jsonl"), Event{Time: time.Now(), Lab: "l", Type: UpStart}); err == nil {
		t.Error("Append made a directory that was not there")
	}
	p := filepath.Join(dir, "long.jsonl")
	huge := strings.Repeat("é", 10000)
	if err := Append(p, Event{Time: time.Now(), Lab: "l", Type: UpFail, Fields: map[string]any{"error": huge, "seconds": 1.5}}); err != nil {
		t.Fatal(err)
	}
	evs := Last([]string{p}, 1)
	if len(evs) != 1 {
		t.Fatalf("the cut event does not read back: %v", evs)
	}
	s, _ := evs[0].Fields["error"].(string)
	if len(s) >= maxLine || !strings.HasPrefix(s, "éé") || !strings.HasSuffix(s, "…") || evs[0].Fields["seconds"] != 1.5 {
		t.Errorf("cut event: error of %d bytes (%q...), seconds %v", len(s), s[:min(len(s), 10)], evs[0].Fields["seconds"])
	}
}

func TestFollowerSkipsGarbage(t *testing.T) {
	p := filepath.Join(t.TempDir(), "events.jsonl")
	fl := NewFollower()
	defer fl.Close()
	ok := fmt.Sprintf(`{"time":%q,"lab":"l","type":"up.done"}`, time.Now().Add(time.Second).Format(time.RFC3339Nano))
	data := "not json\n{\"lab\":\"l\"}\n" + strings.Repeat("y", 3*maxLine) + "\n" + ok + "\n{\"partial"
	if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := types(fl.Poll([]string{p})); got != "up.done" {
		t.Errorf("followed %q; want only the one well-formed event", got)
	}
}

func types(evs []Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Type)
	}
	return strings.Join(s, " ")
}
