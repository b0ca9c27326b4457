package containers

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
)

// Stop stops the container id at once (SIGKILL after no grace period:
// a lab container holds nothing to save), as `docker stop -t 0` does. A
// container already stopped is success.
func (c *Client) Stop(ctx context.Context, id string) error {
	zero := 0
	err := c.api.ContainerStop(ctx, id, container.StopOptions{Timeout: &zero})
	if err != nil && !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("stop container %s: %w", id, err)
	}
	return nil
}
