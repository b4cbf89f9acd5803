package qemu

import (
	"context"
	"errors"

	"github.com/computeladder/computeladder/deployers"
)

var _ deployers.Watcher = (*Deployer)(nil)

// Died says why the VM's QEMU process exited (its exit status, QEMU's and
// the console's last words), or nil while it runs. It only looks at the
// process this deployer started.
func (d *Deployer) Died(_ context.Context, dep *deployers.Deployment) error {
	if dep == nil {
		return errors.New("no deployment")
	}
	v, ok := dep.State.(*vm)
	if !ok || v == nil {
		return errors.New("deployment " + dep.ID + " was not started by this process")
	}
	return v.deadErr()
}
