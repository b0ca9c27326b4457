package labs

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ovslab/ovslab/internal/testenv"
)

// loseState removes the lab's state directory, as a cleaned /run does;
// keep cuts state.json short instead, as a crash mid-write could.
func loseState(t *testing.T, lab string, keep bool) {
	t.Helper()
	dir := filepath.Join(RunRoot, lab)
	if !keep {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		return
	}
	p := filepath.Join(dir, "state.json")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
}

// downByMarksGone runs Down on a lab without usable state and checks with
// the users' tools that nothing of it is left: no netns, container or OVS
// daemon (an emulated host's OVSDB rows and rules live and die with them).
func downByMarksGone(t *testing.T, lab string) {
	t.Helper()
	var said []string
	err := Down(context.Background(), lab, DownOptions{Reporter: Reporter{Note: func(f string, a ...any) {
		said = append(said, fmt.Sprintf(f, a...))
	}}})
	if err != nil {
		t.Fatalf("down without state: %v", err)
	}
	if !slices.ContainsFunc(said, func(s string) bool { return strings.Contains(s, "removed by its marks") }) {
		t.Errorf("down did not say it worked without state: %q", said)
	}
	assertGone(t, lab)
}

// TestRootRecoverWithoutState: with its state removed or cut short, an
// emulated lab is still listed by status, adopted by up, and removed by
// down, all from its marks.
func TestRootRecoverWithoutState(t *testing.T) {
	requireLabTools(t)
	ctx := context.Background()
	const lab = "rc-nostate"
	cleanupLab(t, lab)
	text := labYAML(t, lab, "rcn")
	upLab(t, text)
	for _, n := range []string{"host1", "router"} {
		lo := testenv.Run(t, "ip", "-n", NetnsName(lab, n), "link", "show", "lo")
		if want := "alias ovslab:" + lab + ":" + n; !strings.Contains(lo, want) {
			t.Errorf("netns %s: lo lacks %q:\n%s", NetnsName(lab, n), want, lo)
		}
	}

	t.Run("status and up without state", func(t *testing.T) {
		loseState(t, lab, false)
		found, err := FindUnrecorded(ctx, Daemons{})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(found, func(u Unrecorded) bool { return u.Lab == lab })
		if i < 0 || found[i].mode != ModeEmulated || strings.Join(found[i].hosts, ",") != "host1,host2" {
			t.Errorf("FindUnrecorded = %+v, want %s emulated with host1,host2", found, lab)
		}
		s, err := GetStatus(ctx, lab, StatusOptions{})
		if err != nil {
			t.Fatalf("status without state: %v", err)
		}
		if !s.NoState || len(s.Hosts) != 2 || len(s.Hosts[0].Containers) != 2 {
			t.Errorf("status without state = %+v, want no_state with 2 hosts of 2 containers", s)
		}
		// up adopts the namespaces, stops the daemons whose run dir went,
		// and converges.
		upLab(t, text)
		requireHealthy(t, lab)
		mustReach(t, containerPid(t, "rcndoc1"), "doc1", "10.0.1.20")
		if n := strings.Count(testenv.Run(t, "ps", "-eo", "comm"), "ovs-vswitchd"); n < 2 {
			t.Errorf("%d ovs-vswitchd running, want at least the lab's 2", n)
		}
		for _, h := range []string{"host1", "host2"} {
			if out, _ := exec.Command("ip", "netns", "pids", NetnsName(lab, h)).Output(); len(strings.Fields(string(out))) != 2 {
				t.Errorf("netns %s runs pids %q, want exactly its ovsdb-server and ovs-vswitchd", NetnsName(lab, h), out)
			}
		}
	})
	t.Run("up with a state file cut short", func(t *testing.T) {
		loseState(t, lab, true)
		var notes []string
		err := Up(ctx, mustSource(t, text), UpOptions{Emulate: true, Reporter: Reporter{Note: func(f string, a ...any) {
			notes = append(notes, fmt.Sprintf(f, a...))
		}}})
		if err != nil {
			t.Fatalf("up over a state file cut short: %v", err)
		}
		if len(notes) != 1 || !strings.Contains(notes[0], "unreadable state") {
			t.Errorf("up said %q, want one note about the unreadable state", notes)
		}
		requireHealthy(t, lab)
	})
	t.Run("down with a state file cut short", func(t *testing.T) {
		loseState(t, lab, true)
		downByMarksGone(t, lab)
	})
	t.Run("down with the state removed", func(t *testing.T) {
		upLab(t, text)
		loseState(t, lab, false)
		downByMarksGone(t, lab)
	})
}

// TestRootImagePreflight: an image without a command (and no command: in
// the file) and an image that is nowhere are refused before anything
// exists, naming each container and image.
func TestRootImagePreflight(t *testing.T) {
	requireLabTools(t)
	const lab, img = "rc-img", "rc-nocmd:test"
	cleanupLab(t, lab)
	testenv.Run(t, "sh", "-c", "tar -c -T /dev/null | docker import - "+img)
	t.Cleanup(func() { _ = exec.Command("docker", "rmi", img).Run() })
	text := labYAML(t, lab, "rci")
	text = edit(t, text, "doc3: {host: host2, image: ovslab/busybox, command: [sleep, infinity],", "doc3: {host: host2, image: "+img+",")
	text = edit(t, text, "doc4: {host: host2, image: ovslab/busybox,", "doc4: {host: host2, image: rc-nowhere:none,")

	err := Up(context.Background(), mustSource(t, text), UpOptions{Emulate: true})
	if err == nil {
		t.Fatal("up with an image without a command: no error")
	}
	for _, want := range []string{"rcidoc3", img, "command", "rcidoc4", "rc-nowhere:none"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	assertGone(t, lab)
}
