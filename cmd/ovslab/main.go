package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/ovslab/ovslab/internal/fds"
	"github.com/ovslab/ovslab/internal/sandbox"
	"github.com/ovslab/ovslab/internal/userfile"
	"github.com/ovslab/ovslab/labs"
	"github.com/ovslab/ovslab/topology"
)

// Exit codes, as the README promises them.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// exitError carries an exit code that is not derived from an error kind,
// e.g. the exit status of a command run by `ovslab exec`.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func main() {
	// A sandboxed host shell of `ovslab serve` starts as this binary:
	// Init takes over that process before anything else runs (it needs
	// the descriptors its parent handed it as they are).
	sandbox.Init()
	// Nothing ovslab starts (OVS daemons, a shell, a flapper) keeps what
	// the caller left open.
	fds.CloseInherited()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first Ctrl-C cancels the work and lets it leave a state that
		// down can remove; a second one, now unhandled, kills us at once.
		<-ctx.Done()
		stop()
	}()
	stopProfile := profile(os.Getenv("OVSLAB_CPUPROFILE"))
	code := run(ctx, os.Args[1:])
	stopProfile()
	os.Exit(code)
}

// profile writes a CPU profile of the whole command to path, if set:
// where a benchmark shows a command slow, the profile shows why
// (go tool pprof). Wall time spent waiting on daemons shows as little
// CPU; per-phase timings (OVSLAB_TIMINGS) show that side.
func profile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := userfile.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "OVSLAB_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

func run(ctx context.Context, args []string) int {
	cmd := newRoot()
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	err = interrupted(ctx, err)
	// A file's problems are one per line as file:line:col: field: message,
	// like a compiler's, so editors can jump to them; no prefix in front.
	switch err.(type) {
	case topology.ErrorList, *topology.Error:
		fmt.Fprintln(os.Stderr, err)
	default:
		fmt.Fprintln(os.Stderr, "ovslab:", err)
	}
	return exitCode(err)
}

// interrupted makes an error of a run the user interrupted say so,
// whatever step the signal reached: a call to Docker reports only the
// context's cause ("interrupt signal received", which errors.Is matches
// with context.Canceled though its text does not say it), other steps
// context canceled.
func interrupted(ctx context.Context, err error) error {
	if ctx.Err() != nil && !strings.Contains(err.Error(), context.Canceled.Error()) {
		return fmt.Errorf("%w: %w", err, context.Canceled)
	}
	return err
}

func exitCode(err error) int {
	var ue usageError
	switch {
	case topology.IsInvalid(err), errors.Is(err, labs.ErrUsage), errors.As(err, &ue):
		return exitUsage
	default:
		return exitFail
	}
}

// usageError is a command-line mistake cobra reports (unknown flag, wrong
// number of arguments).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
