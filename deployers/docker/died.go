package docker

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
)

var _ deployers.Watcher = (*Deployer)(nil)

// Died asks the engine about the deployment's container: nil while it
// runs, else that it was removed or exited (with its code, and whether the
// kernel's OOM killer ended it). An engine that does not answer is not
// taken as a dead container.
func (d *Deployer) Died(ctx context.Context, dep *deployers.Deployment) error {
	if dep == nil || dep.ID == "" {
		return errors.New("no container")
	}
	res, err := d.api.ContainerInspect(ctx, dep.ID, client.ContainerInspectOptions{})
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return fmt.Errorf("container %.12s was removed", dep.ID)
		}
		return nil
	}
	st := res.Container.State
	if st == nil || st.Running || st.Restarting {
		return nil
	}
	msg := fmt.Sprintf("container %.12s %s with code %d", dep.ID, st.Status, st.ExitCode)
	if st.OOMKilled {
		msg += " (killed by the kernel's OOM killer)"
	}
	return errors.New(msg)
}
