package containers

import (
	"context"
	"fmt"
	"sync"

	"github.com/docker/docker/client"
)

// Client is a connection to one Docker daemon, already negotiated down to
// the daemon's API version.
type Client struct {
	api *daemon
	// imageIDs caches the ID each image name resolved to in Ensure: a lab
	// of hundreds of containers shares a few images, and one command
	// should not ask Docker the same question hundreds of times.
	imageIDs sync.Map // name → ID
}

// Connect reaches Docker the way the docker CLI does (DOCKER_HOST and
// friends), negotiates the API version and pings the daemon. Negotiation
// matters: the v28 client speaks API 1.51 and an older daemon (20.10 speaks
// 1.41) rejects every call until the client downgrades.
func Connect(ctx context.Context) (*Client, error) {
	api, err := client.NewClientWithOpts(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("docker client from environment: %w; check DOCKER_HOST", err)
	}
	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	// Ping ourselves rather than via NegotiateAPIVersion, which swallows
	// the connection error we want to report.
	ping, err := api.Ping(pctx)
	if err != nil {
		_ = api.Close()
		host := api.DaemonHost()
		if timedOut(ctx, pctx) {
			// No release to name: a daemon that does not answer the
			// ping will not answer /version either.
			return nil, noAnswerError(host, "Ping", connectTimeout, "")
		}
		if client.IsErrConnectionFailed(err) {
			// Docker's own text repeats the address and asks the question
			// we answer below; say it once.
			return nil, fmt.Errorf("cannot reach Docker at %s: is dockerd running? start it, or point DOCKER_HOST at it", host)
		}
		return nil, fmt.Errorf("cannot reach Docker at %s: %v; is dockerd running? (DOCKER_HOST)", host, err)
	}
	api.NegotiateAPIVersionPing(ping)
	return &Client{api: &daemon{api: api}}, nil
}

// Close releases the client's idle connections.
// A nil client (no Docker needed) closes as a no-op.
func (c *Client) Close() error {
	if c == nil {
		return nil
	}
	return c.api.api.Close()
}

// APIVersion is the negotiated Docker API version, for diagnostics.
func (c *Client) APIVersion() string {
	return c.api.api.ClientVersion()
}
