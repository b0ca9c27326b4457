package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/internal/nsutil"
	"github.com/ovslab/ovslab/internal/ovsdbguard"
	"github.com/ovslab/ovslab/internal/sandbox"
	"github.com/ovslab/ovslab/internal/webterm"
	"github.com/ovslab/ovslab/labs"
)

// containerShell is what a container's terminal runs: bash where the
// image has it, else sh.
var containerShell = []string{"/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; fi; exec sh"}

// Terminal opens a terminal on node of lab: an emulated host's
// sandboxed shell, or a shell in a container through Docker.
func (b *Labs) Terminal(ctx context.Context, lab, node string, cols, rows uint16) (webterm.Terminal, error) {
	st, src, err := load(lab)
	if err != nil {
		return nil, err
	}
	if st.Mode == labs.ModeEmulated && slices.Contains(st.Hosts, node) {
		return b.hostShell(ctx, lab, node, cols, rows)
	}
	if _, ok := src.Topo.ContainerByName(node); ok {
		return b.containerTTY(ctx, lab, src.Topo.DockerName(node), cols, rows)
	}
	return nil, fmt.Errorf("%w: %s", ErrNoNode, node)
}

func (b *Labs) containerTTY(ctx context.Context, lab, name string, cols, rows uint16) (webterm.Terminal, error) {
	dc, err := b.dockerClient(ctx)
	if err != nil {
		return nil, err
	}
	// Only a container that carries the lab's mark: a name alone could
	// be anyone's.
	listed, err := dc.Listed(ctx, map[string]string{containers.LabLabel: lab})
	if err != nil {
		b.forget(dc)
		return nil, err
	}
	l, ok := listed[name]
	if !ok {
		return nil, fmt.Errorf("%w: container %s is missing: ovslab up repairs it", ErrLabDown, name)
	}
	if l.State != "running" {
		return nil, fmt.Errorf("%w: container %s is %s", ErrLabDown, name, l.State)
	}
	return dc.ExecTTY(ctx, name, containerShell, cols, rows)
}

// hostShell is a sandboxed shell on an emulated host: in the host's
// netns, as the copy's own uid and gid, with the host's OVS sockets,
// its database through a relay that refuses what would reach outside
// the lab.
type hostShell struct {
	*webterm.PTY
	sb    *sandbox.Sandbox
	guard *ovsdbguard.Guard
}

// Close ends the shell (its PID namespace with it), its cgroups and
// its relay.
func (h *hostShell) Close() error {
	err := h.PTY.Close()
	return errors.Join(err, h.sb.Release(), h.guard.Close())
}

func (b *Labs) hostShell(ctx context.Context, lab, host string, cols, rows uint16) (t webterm.Terminal, err error) {
	ids := b.IDs
	if ids == nil {
		ids = SystemIDs
	}
	id, err := ids.For(lab, allCopies())
	if err != nil {
		return nil, err
	}
	runDir := labs.HostRunDir(lab, host)
	// Sockets made since the last shell (a bridge added) are root's.
	if err := sandbox.ShareOVS(runDir, id); err != nil {
		return nil, err
	}
	name := make([]byte, 8)
	_, _ = rand.Read(name)
	g, err := ovsdbguard.Listen(filepath.Join(b.GuardDir, hex.EncodeToString(name)+".sock"), filepath.Join(runDir, "db.sock"), id,
		func(f string, a ...any) { b.logf("%s %s: "+f, append([]any{lab, host}, a...)...) })
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = g.Close()
		}
	}()
	sb, err := sandbox.New(sandbox.Config{
		Netns: nsutil.Path(labs.NetnsName(lab, host)), OVSRunDir: runDir, OVSDBSocket: g.Path(),
		UID: id, GID: id, Hostname: host,
	})
	if err != nil {
		return nil, err
	}
	p, err := startLocked(sb, cols, rows)
	if err != nil {
		_ = sb.Release()
		return nil, err
	}
	if err := sb.Ready(ctx); err != nil {
		_ = p.Close()
		_ = sb.Release()
		return nil, err
	}
	return &hostShell{PTY: p, sb: sb, guard: g}, nil
}

// startLocked starts the shell from an OS thread kept for it until it
// ends. The shell dies with the thread that started it (Pdeathsig), and
// Go ends a thread when a goroutine locked to it returns still locked,
// which code of this process that enters namespaces does when it cannot
// leave one: no other goroutine may run on the shell's thread.
func startLocked(sb *sandbox.Sandbox, cols, rows uint16) (*webterm.PTY, error) {
	type started struct {
		p   *webterm.PTY
		err error
	}
	ch := make(chan started, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		p, err := webterm.StartPTY(sb.Cmd(), cols, rows)
		ch <- started{p, err}
		if err == nil {
			<-p.Done()
		}
	}()
	s := <-ch
	return s.p, s.err
}
