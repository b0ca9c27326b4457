package labs

import (
	"context"
	"errors"
	"fmt"

	"github.com/ovslab/ovslab/containers"
	"github.com/ovslab/ovslab/topology"
)

// errNoCommand is wrapped when a container would have nothing to run.
var errNoCommand = errors.New("no command to run")

// checkImages makes sure, before anything of the lab exists, that every
// container's image is on this machine (building it when the file says
// how) and that the container has something to run: Docker refuses a
// container whose image has neither CMD nor ENTRYPOINT and whose file
// gives no command, and finding that after the fabric is built would leave
// half a lab. Each image is looked at once per pool: the copies of a
// class share one.
func checkImages(ctx context.Context, dc *containers.Client, pool *Pool, plans map[string]*topology.HostPlan) error {
	reported := map[string]bool{}
	var errs []error
	for _, h := range sortedHosts(plans) {
		for _, c := range plans[h].Containers {
			hasCmd, err := pool.image(c.Image, func() (bool, error) {
				if err := dc.EnsureImage(ctx, c.Image, c.Build); err != nil {
					return false, err
				}
				return dc.ImageHasCommand(ctx, c.Image)
			})
			if err != nil {
				if !reported[c.Image] {
					errs = append(errs, fmt.Errorf("container %s (host %s): %w", c.Name, h, err))
					reported[c.Image] = true
				}
				continue
			}
			if !hasCmd && len(c.Command) == 0 {
				errs = append(errs, fmt.Errorf("container %s (host %s): image %q has %w (no CMD or ENTRYPOINT) and the file gives none; give the container a command, e.g. `command: [sleep, infinity]`, or add CMD to the image's Dockerfile",
					c.Name, h, c.Image, errNoCommand))
			}
		}
	}
	return errors.Join(errs...)
}
