package fds

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A descriptor opened without close-on-exec, as a shell or flock(1) hands
// one down, must not reach a child once CloseInherited has run.
func TestCloseInherited(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "inherited")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFD, 0); err != nil {
		t.Fatal(err)
	}
	open := func() bool {
		out, err := exec.Command("sh", "-c", "ls /proc/self/fd/").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(" "+strings.Join(strings.Fields(string(out)), " ")+" ", " "+strconv.Itoa(fd)+" ")
	}
	if !open() {
		t.Fatalf("fd %d without close-on-exec did not reach the child: the test proves nothing", fd)
	}
	CloseInherited()
	if open() {
		t.Fatalf("fd %d still reaches a child after CloseInherited", fd)
	}
}
