package containers

import (
	"context"
	"sync"
	"time"
)

// versionTimeout bounds the question an error of a stuck dockerd asks
// (which release is it?): /version touches no libnetwork lock, so a
// deadlocked 20.10 still answers it, and a daemon stuck for another reason
// costs the error only this much more. A var so tests need not wait.
var versionTimeout = 5 * time.Second

// engine is the Docker Engine release a daemon runs, asked at most once
// per Client: by up, which warns about a large lab on a release with a
// known deadlock, or by the first error of a call dockerd did not answer.
// Ping answers carry no release (only the API version, 1.41 for every
// 20.10), and /version costs dockerd a runc and an init process of its own,
// so it is asked only where the answer is needed.
type engine struct {
	mu      sync.Mutex
	asked   bool
	version string
}

// EngineVersion is the Docker Engine release dockerd says it runs
// ("20.10.24+dfsg1"), asked once per Client; "" when it did not say within
// the call deadline. It is advice for warnings, never a reason to fail:
// a daemon too stuck to answer fails the next real call instead.
func (c *Client) EngineVersion(ctx context.Context) string {
	return c.api.version(ctx, callTimeout)
}

// version asks dockerd its release once, within the given time; a caller
// that gives up leaves the question for the next one.
func (d *daemon) version(ctx context.Context, within time.Duration) string {
	d.engine.mu.Lock()
	defer d.engine.mu.Unlock()
	if d.engine.asked {
		return d.engine.version
	}
	vctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	v, err := d.api.ServerVersion(vctx)
	if ctx.Err() != nil {
		return ""
	}
	d.engine.asked = true
	if err == nil {
		d.engine.version = v.Version
	}
	return d.engine.version
}
