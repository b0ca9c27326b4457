package labs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ovslab/ovslab/internal/fds"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/topology"
)

// A flap fault outlives the command that enters its stage: a detached
// child of the ovslab binary (its hidden FlapperCommand) takes the link
// down and up on the fault's period, for the fault's time, then leaves it
// up and exits. The state records it by PID and start time, so down,
// stage and reset stop exactly it and never a process that took its PID
// since. The child acts only while the state records it: a lab that is
// gone (or a record never written, by a run cut short) ends it without
// a change.

// FlapperCommand is the hidden subcommand that runs a flap; the ovslab
// binary (and a test binary that starts flaps) hands it to FlapperMain.
const FlapperCommand = "__flap"

// flapperRecord is how the state names a running flap.
type flapperRecord struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"` // the process's start time (/proc/PID/stat), in clock ticks since boot
}

// flapperWait bounds how long a new flap waits to see itself recorded.
const flapperWait = 10 * time.Second

// startFlap takes rec's link down, so the stage is broken when the
// command returns, and starts the child that flaps it.
func (e *faultEnv) startFlap(f topology.Fault, rec *appliedFault, loc location) error {
	if err := nsutil.InNamed(loc.netns, func(n *nsutil.NS) error { return n.LinkDown(rec.Link) }); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	// It outlives the command: it must not keep what the command's caller
	// left open (the lock of `flock FILE ovslab stage`, say).
	fds.CloseInherited()
	cmd := exec.Command(exe, FlapperCommand, e.j.st.Lab, loc.netns, rec.Link,
		f.Period.String(), f.For.String(), strconv.FormatInt(time.Now().UnixNano(), 10))
	// A session of its own: the user's Ctrl-C in this terminal, or the
	// end of this command, is not the flap's end.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the flap of %s: %w", rec.Link, err)
	}
	go func() { _ = cmd.Wait() }() // reaped here if this process outlives it
	start, err := procStart(cmd.Process.Pid)
	if err != nil {
		_ = cmd.Process.Kill()
		return err
	}
	rec.Flapper = &flapperRecord{PID: cmd.Process.Pid, Start: start}
	return nil
}

// FlapperMain runs a flap from its command line (after FlapperCommand)
// and returns the exit code. SIGTERM or SIGINT ends it at once: whoever
// stops it puts the link back.
func FlapperMain(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := runFlapper(ctx, args); err != nil {
		fmt.Fprintln(os.Stderr, "ovslab flap:", err)
		return 1
	}
	return 0
}

func runFlapper(ctx context.Context, args []string) error {
	if len(args) != 6 {
		return fmt.Errorf("want LAB NETNS LINK PERIOD FOR START, got %q", args)
	}
	lab, netns, link := args[0], args[1], args[2]
	period, err1 := time.ParseDuration(args[3])
	dur, err2 := time.ParseDuration(args[4])
	ns, err3 := strconv.ParseInt(args[5], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || period <= 0 {
		return fmt.Errorf("bad arguments %q: %v", args, err)
	}
	self, err := procStart(os.Getpid())
	if err != nil {
		return err
	}
	recorded := func() bool { return flapRecorded(lab, os.Getpid(), self) }
	wait := time.Now().Add(flapperWait)
	for !recorded() {
		if time.Now().After(wait) || !sleepCtx(ctx, 100*time.Millisecond) {
			return nil // never recorded: its run was cut short
		}
	}
	t0 := time.Unix(0, ns)
	end := t0.Add(dur)
	set := func(up bool) bool {
		err := nsutil.InNamed(netns, func(n *nsutil.NS) error {
			if up {
				return n.LinkUp(link)
			}
			return n.LinkDown(link)
		})
		return err == nil
	}
	for {
		now := time.Now()
		if !now.Before(end) {
			break
		}
		down, next := flapPhase(t0, period, now)
		if !recorded() || !set(!down) {
			return nil // the lab, or this flap, is gone
		}
		if next.After(end) {
			next = end
		}
		if !sleepCtx(ctx, time.Until(next)) {
			return nil
		}
	}
	if recorded() {
		set(true)
	}
	return nil
}

// flapPhase says whether a flap that began at t0 holds its link down at
// now (the first half of each period), and when that next changes.
func flapPhase(t0 time.Time, period time.Duration, now time.Time) (down bool, next time.Time) {
	in := now.Sub(t0) % period
	start := now.Add(-in)
	if in < period/2 {
		return true, start.Add(period / 2)
	}
	return false, start.Add(period)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// flapRecorded reports whether lab's state names the process pid,
// started at start, as one of its flaps.
func flapRecorded(lab string, pid int, start uint64) bool {
	st, err := LoadState(lab)
	if err != nil {
		return false
	}
	for _, f := range st.Faults {
		if f.Flapper != nil && f.Flapper.PID == pid && f.Flapper.Start == start {
			return true
		}
	}
	return false
}

// stopFlappers stops every flap the records name, and waits until each
// is gone.
func stopFlappers(recs []*appliedFault) error {
	var errs []error
	for _, r := range recs {
		if r.Flapper != nil {
			errs = append(errs, stopFlapper(*r.Flapper))
		}
	}
	return errors.Join(errs...)
}

// stopFlapper stops the flap r names, if that process still runs: the
// same PID with another start time, or not running the flap, is
// someone else's.
func stopFlapper(r flapperRecord) error {
	if !isFlapper(r) {
		return nil
	}
	_ = syscall.Kill(r.PID, syscall.SIGTERM)
	for i := 0; i < 100; i++ {
		if !isFlapper(r) {
			return nil
		}
		if i == 60 {
			_ = syscall.Kill(r.PID, syscall.SIGKILL)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("flap process %d does not stop", r.PID)
}

// isFlapper reports whether r's process runs: alive (not a zombie), with
// its start time, running the flap command.
func isFlapper(r flapperRecord) bool {
	if r.PID <= 0 {
		return false
	}
	start, err := procStart(r.PID)
	if err != nil || start != r.Start {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", r.PID))
	if err != nil || statField(stat, 3) == "Z" {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", r.PID))
	return err == nil && bytes.Contains(cmdline, []byte("\x00"+FlapperCommand+"\x00"))
}

// procStart is a process's start time from /proc/PID/stat (field 22).
func procStart(pid int) (uint64, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(statField(stat, 22), 10, 64)
}

// statField is field n (1-based) of a /proc/PID/stat line; the command
// name (field 2) may hold spaces, so fields are counted after its ')'.
func statField(stat []byte, n int) string {
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	if n == 2 {
		return s[strings.IndexByte(s, '(')+1 : i]
	}
	f := strings.Fields(s[i+1:])
	if n-3 < 0 || n-3 >= len(f) {
		return ""
	}
	return f[n-3]
}
