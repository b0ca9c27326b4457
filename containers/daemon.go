package containers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

// ErrNoAnswer is wrapped when dockerd did not answer a call in time: it is
// there (the socket accepted) but stuck, as Docker 20.10 gets under
// container churn (moby#46661).
var ErrNoAnswer = errors.New("no answer")

// Deadlines of calls to dockerd, whatever the caller's context: a daemon
// that accepts and never answers is named well within the 30 s the docs
// promise, never waited on forever. Vars so tests need not wait that long.
var (
	// connectTimeout bounds Connect's ping, so a dead socket fails fast.
	connectTimeout = 10 * time.Second
	// callTimeout bounds one call, or for a streamed one (build, import,
	// exec) the wait for the daemon's first answer.
	callTimeout = 20 * time.Second
	// streamTimeout bounds the rest of a build or an image import: a
	// build with no registry is short, but its steps may be silent.
	streamTimeout = 10 * time.Minute
)

// daemon is the Docker API as Client uses it, every call with a deadline
// and an error that names dockerd, its address and the call when the
// deadline passes. Exec's output stream, which lasts as long as the
// command the user runs, has none once it is attached.
type daemon struct {
	api    *client.Client
	engine engine // its release, once asked (engine.go)
}

// noAnswer is the error of a call dockerd did not answer within its
// deadline. On a release with the known churn deadlock it says so, and
// what to do (deadlock.go).
func (d *daemon) noAnswer(ctx context.Context, call string, within time.Duration) error {
	return noAnswerError(d.api.DaemonHost(), call, within, deadlockHint(d.version(ctx, versionTimeout)))
}

// noAnswerError names dockerd, its address and the call, and gives hint
// (from deadlockHint) as the advice, else the generic one.
func noAnswerError(host, call string, within time.Duration, hint string) error {
	if hint == "" {
		hint = "is it stuck? if `docker info` hangs too, restart dockerd"
	}
	return fmt.Errorf("dockerd at %s did not answer %s within %s: %w; %s (DOCKER_HOST)",
		host, call, within, ErrNoAnswer, hint)
}

// timedOut reports whether bounded (made from ctx) ended by its own
// deadline, not because the caller gave up.
func timedOut(ctx, bounded context.Context) bool {
	return ctx.Err() == nil && errors.Is(bounded.Err(), context.DeadlineExceeded)
}

// do runs one call of name with callTimeout.
func do[T any](d *daemon, ctx context.Context, name string, fn func(context.Context) (T, error)) (T, error) {
	cctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	v, err := fn(cctx)
	if err != nil && timedOut(ctx, cctx) {
		err = d.noAnswer(ctx, name, callTimeout)
	}
	return v, err
}

func do0(d *daemon, ctx context.Context, name string, fn func(context.Context) error) error {
	_, err := do(d, ctx, name, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// stream runs a call whose answer is a body read afterwards: the daemon
// must start answering within callTimeout, and the whole body must be read
// within streamTimeout; closing the body ends the call.
func stream(d *daemon, ctx context.Context, name string, fn func(context.Context) (io.ReadCloser, error)) (io.ReadCloser, error) {
	sctx, cancelStream := context.WithTimeout(ctx, streamTimeout)
	cctx, cancelCall := context.WithCancel(sctx)
	fired := time.AfterFunc(callTimeout, cancelCall)
	body, err := fn(cctx)
	if err != nil {
		answered := fired.Stop()
		cancelCall()
		cancelStream()
		if !answered && ctx.Err() == nil {
			err = d.noAnswer(ctx, name, callTimeout)
		}
		return nil, err
	}
	if !fired.Stop() {
		// The daemon answered just as the deadline passed: its body is
		// already cancelled, so say why rather than hand out a dead stream.
		body.Close()
		cancelStream()
		return nil, d.noAnswer(ctx, name, callTimeout)
	}
	return &streamBody{ReadCloser: body, d: d, name: name, ctx: ctx, sctx: sctx, cancel: func() { cancelCall(); cancelStream() }}, nil
}

// streamBody names dockerd when the stream's deadline cuts a read short.
type streamBody struct {
	io.ReadCloser
	d         *daemon
	name      string
	ctx, sctx context.Context
	cancel    func()
}

func (b *streamBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && timedOut(b.ctx, b.sctx) {
		err = b.d.noAnswer(b.ctx, "the rest of "+b.name, streamTimeout)
	}
	return n, err
}

func (b *streamBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

func (d *daemon) ImageImport(ctx context.Context, source image.ImportSource, ref string, options image.ImportOptions) (io.ReadCloser, error) {
	return stream(d, ctx, "ImageImport", func(ctx context.Context) (io.ReadCloser, error) {
		return d.api.ImageImport(ctx, source, ref, options)
	})
}

func (d *daemon) ImageBuild(ctx context.Context, buildContext io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	var resp build.ImageBuildResponse
	body, err := stream(d, ctx, "ImageBuild", func(ctx context.Context) (io.ReadCloser, error) {
		var err error
		resp, err = d.api.ImageBuild(ctx, buildContext, options)
		return resp.Body, err
	})
	resp.Body = body
	return resp, err
}

func (d *daemon) ImageInspect(ctx context.Context, ref string) (image.InspectResponse, error) {
	return do(d, ctx, "ImageInspect", func(ctx context.Context) (image.InspectResponse, error) {
		return d.api.ImageInspect(ctx, ref)
	})
}

func (d *daemon) ImageRemove(ctx context.Context, ref string, options image.RemoveOptions) ([]image.DeleteResponse, error) {
	return do(d, ctx, "ImageRemove", func(ctx context.Context) ([]image.DeleteResponse, error) {
		return d.api.ImageRemove(ctx, ref, options)
	})
}

func (d *daemon) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	return do(d, ctx, "ContainerInspect", func(ctx context.Context) (container.InspectResponse, error) {
		return d.api.ContainerInspect(ctx, id)
	})
}

func (d *daemon) ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error) {
	return do(d, ctx, "ContainerList", func(ctx context.Context) ([]container.Summary, error) {
		return d.api.ContainerList(ctx, options)
	})
}

// ContainerCreate never passes networking or a platform: Plumb owns the
// network, and images are local.
func (d *daemon) ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, name string) (container.CreateResponse, error) {
	return do(d, ctx, "ContainerCreate", func(ctx context.Context) (container.CreateResponse, error) {
		return d.api.ContainerCreate(ctx, config, hostConfig, nil, nil, name)
	})
}

func (d *daemon) ContainerRemove(ctx context.Context, id string, options container.RemoveOptions) error {
	return do0(d, ctx, "ContainerRemove", func(ctx context.Context) error {
		return d.api.ContainerRemove(ctx, id, options)
	})
}

func (d *daemon) ContainerStart(ctx context.Context, id string, options container.StartOptions) error {
	return do0(d, ctx, "ContainerStart", func(ctx context.Context) error {
		return d.api.ContainerStart(ctx, id, options)
	})
}

func (d *daemon) ContainerStop(ctx context.Context, id string, options container.StopOptions) error {
	return do0(d, ctx, "ContainerStop", func(ctx context.Context) error {
		return d.api.ContainerStop(ctx, id, options)
	})
}

func (d *daemon) ContainerUnpause(ctx context.Context, id string) error {
	return do0(d, ctx, "ContainerUnpause", func(ctx context.Context) error {
		return d.api.ContainerUnpause(ctx, id)
	})
}

// ContainerLogs is bounded as a whole: only a few last lines are read.
func (d *daemon) ContainerLogs(ctx context.Context, id string, options container.LogsOptions) ([]byte, error) {
	return do(d, ctx, "ContainerLogs", func(ctx context.Context) ([]byte, error) {
		rc, err := d.api.ContainerLogs(ctx, id, options)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, 64<<10))
	})
}

func (d *daemon) ContainerExecCreate(ctx context.Context, id string, options container.ExecOptions) (container.ExecCreateResponse, error) {
	return do(d, ctx, "ContainerExecCreate", func(ctx context.Context) (container.ExecCreateResponse, error) {
		return d.api.ContainerExecCreate(ctx, id, options)
	})
}

// ContainerExecAttach waits for the upgrade in a goroutine: the Docker
// client reads the upgrade's answer on the bare connection, where no
// context reaches it. A daemon that never answers leaves that goroutine
// blocked until the daemon closes the connection or ovslab exits.
func (d *daemon) ContainerExecAttach(ctx context.Context, execID string, config container.ExecAttachOptions) (types.HijackedResponse, error) {
	done := make(chan attached, 1)
	go func() {
		hj, err := d.api.ContainerExecAttach(ctx, execID, config)
		done <- attached{hj, err}
	}()
	t := time.NewTimer(callTimeout)
	defer t.Stop()
	select {
	case r := <-done:
		return r.hj, r.err
	case <-ctx.Done():
		go closeLate(done)
		return types.HijackedResponse{}, ctx.Err()
	case <-t.C:
		go closeLate(done)
		return types.HijackedResponse{}, d.noAnswer(ctx, "ContainerExecAttach", callTimeout)
	}
}

type attached struct {
	hj  types.HijackedResponse
	err error
}

// closeLate closes an attach that answered after its caller gave up.
func closeLate(done <-chan attached) {
	if r := <-done; r.err == nil {
		r.hj.Close()
	}
}

func (d *daemon) ContainerExecInspect(ctx context.Context, execID string) (container.ExecInspect, error) {
	return do(d, ctx, "ContainerExecInspect", func(ctx context.Context) (container.ExecInspect, error) {
		return d.api.ContainerExecInspect(ctx, execID)
	})
}

func (d *daemon) ContainerExecResize(ctx context.Context, execID string, options container.ResizeOptions) error {
	return do0(d, ctx, "ContainerExecResize", func(ctx context.Context) error {
		return d.api.ContainerExecResize(ctx, execID, options)
	})
}

// Events is dockerd's event stream: it lasts as long as its reader wants,
// so it has no deadline; a stuck daemon shows as no events.
func (d *daemon) Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error) {
	return d.api.Events(ctx, options)
}
